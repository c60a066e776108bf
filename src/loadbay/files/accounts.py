"""Accounts and grants: which API client may file documents under which account."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from loadbay.auth.service import get_or_create_tenant
from loadbay.models import Account, AccountGrant, ApiClient, Tenant


class AccountError(ValueError):
    """An account or grant request that cannot be carried out; the message says why."""


def new_account_id() -> str:
    return "acc_" + secrets.token_hex(12)


def create_account(session: Session, *, tenant_name: str, name: str) -> Account:
    """A new account of ``tenant_name`` (created if new). Names are unique within a tenant."""
    name = name.strip()
    if not name:
        raise AccountError("give the account a name with --name")
    tenant = get_or_create_tenant(session, name=tenant_name)
    existing = session.scalar(select(Account).where(Account.tenant_id == tenant.id, Account.name == name))
    if existing is not None:
        raise AccountError(f"tenant {tenant_name} already has an account named {name!r}: {existing.id}")
    account = Account(id=new_account_id(), tenant_id=tenant.id, name=name)
    session.add(account)
    session.flush()
    return account


def list_accounts(
    session: Session, *, tenant_name: str | None = None
) -> list[tuple[Account, Tenant, list[str]]]:
    """Accounts with their tenant and the client ids granted to each."""
    query = select(Account, Tenant).join(Tenant, Tenant.id == Account.tenant_id).order_by(Account.created_at)
    if tenant_name is not None:
        query = query.where(Tenant.name == tenant_name)
    rows = session.execute(query).all()
    grants = session.execute(
        select(AccountGrant.account_id, ApiClient.client_id)
        .join(ApiClient, ApiClient.id == AccountGrant.client_id)
        .order_by(AccountGrant.id)
    ).all()
    by_account: dict[str, list[str]] = {}
    for account_id, client_id in grants:
        by_account.setdefault(account_id, []).append(client_id)
    return [(account, tenant, by_account.get(account.id, [])) for account, tenant in rows]


def _client_and_account(session: Session, *, client_id: str, account_id: str) -> tuple[ApiClient, Account]:
    client = session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))
    if client is None:
        raise AccountError(f"no client {client_id}")
    account = session.get(Account, account_id)
    if account is None:
        raise AccountError(f"no account {account_id}")
    if account.tenant_id != client.tenant_id:
        # A grant never crosses tenants: a client sees only its own tenant's data.
        raise AccountError(f"account {account_id} belongs to another tenant than client {client_id}")
    return client, account


def grant_account(session: Session, *, client_id: str, account_id: str) -> bool:
    """Let the client use the account; False when it already could."""
    client, account = _client_and_account(session, client_id=client_id, account_id=account_id)
    existing = session.scalar(
        select(AccountGrant).where(AccountGrant.client_id == client.id, AccountGrant.account_id == account.id)
    )
    if existing is not None:
        return False
    session.add(AccountGrant(client_id=client.id, account_id=account.id))
    session.flush()
    return True


def revoke_grant(session: Session, *, client_id: str, account_id: str) -> bool:
    """Stop the client using the account at once; False when it had no grant."""
    client, account = _client_and_account(session, client_id=client_id, account_id=account_id)
    grant = session.scalar(
        select(AccountGrant).where(AccountGrant.client_id == client.id, AccountGrant.account_id == account.id)
    )
    if grant is None:
        return False
    session.delete(grant)
    session.flush()
    return True


def get_granted_account(
    session: Session, *, tenant_id: int, client_pk: int, account_id: str
) -> Account | None:
    """The account, only if it is the tenant's and granted to the client; None for any other case alike."""
    return session.scalar(
        select(Account)
        .join(AccountGrant, AccountGrant.account_id == Account.id)
        .where(
            Account.id == account_id,
            Account.tenant_id == tenant_id,
            AccountGrant.client_id == client_pk,
        )
    )
