import pytest
from sqlalchemy import select

from loadbay.auth.service import (
    UnknownScopeError,
    authenticate_client,
    create_client,
    list_clients,
    revoke_client,
)
from loadbay.db import transaction
from loadbay.models import ApiClient, OrgUnit
from loadbay.runtime import Runtime


def test_secret_is_stored_only_as_an_argon2id_hash(runtime: Runtime) -> None:
    with transaction(runtime.write_sessions) as session:
        client, secret = create_client(session, tenant_name="t", scopes=["rostering"])
    with transaction(runtime.write_sessions) as session:
        stored = session.scalar(select(ApiClient.secret_hash).where(ApiClient.client_id == client.client_id))
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert secret not in stored


def test_authenticate_checks_the_secret(runtime: Runtime) -> None:
    with transaction(runtime.write_sessions) as session:
        client, secret = create_client(session, tenant_name="t", scopes=["rostering"])
        assert authenticate_client(session, client_id=client.client_id, client_secret=secret) is not None
        assert authenticate_client(session, client_id=client.client_id, client_secret=secret + "x") is None


def test_new_tenant_starts_with_the_root_organization(runtime: Runtime) -> None:
    with transaction(runtime.write_sessions) as session:
        client, _ = create_client(session, tenant_name="t", scopes=["rostering"])
        orgs = session.scalars(select(OrgUnit.org_id).where(OrgUnit.tenant_id == client.tenant_id)).all()
    assert orgs == ["root"]


def test_second_client_of_a_tenant_shares_it(runtime: Runtime) -> None:
    with transaction(runtime.write_sessions) as session:
        first, _ = create_client(session, tenant_name="t", scopes=["rostering"])
        second, _ = create_client(session, tenant_name="t", scopes=["files"])
        assert first.tenant_id == second.tenant_id
        assert len(list_clients(session)) == 2


def test_unknown_scope_is_refused(runtime: Runtime) -> None:
    with transaction(runtime.write_sessions) as session, pytest.raises(UnknownScopeError, match="rostering"):
        create_client(session, tenant_name="t", scopes=["admin"])


def test_revoked_client_cannot_authenticate(runtime: Runtime) -> None:
    with transaction(runtime.write_sessions) as session:
        client, secret = create_client(session, tenant_name="t", scopes=["rostering"])
    with transaction(runtime.write_sessions) as session:
        assert revoke_client(session, client_id=client.client_id)
        assert not revoke_client(session, client_id="missing")
    with transaction(runtime.write_sessions) as session:
        assert authenticate_client(session, client_id=client.client_id, client_secret=secret) is None
