"""Tenants and API clients: create, list, revoke, authenticate."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from loadbay.auth import SCOPES
from loadbay.auth.hashing import hash_secret, verify_secret
from loadbay.models import ROOT_ORGANIZATION, ApiClient, OrgUnit, Tenant, utcnow


class UnknownScopeError(ValueError):
    pass


def get_or_create_tenant(session: Session, *, name: str) -> Tenant:
    """The tenant called ``name``; a new one starts with the organization unit ``root``."""
    tenant = session.scalar(select(Tenant).where(Tenant.name == name))
    if tenant is not None:
        return tenant
    tenant = Tenant(name=name)
    session.add(tenant)
    session.flush()
    session.add(OrgUnit(tenant_id=tenant.id, org_id=ROOT_ORGANIZATION, name="Root"))
    session.flush()
    return tenant


def create_client(session: Session, *, tenant_name: str, scopes: Sequence[str]) -> tuple[ApiClient, str]:
    """Create a client; returns it with its secret, which is stored only as an argon2id hash."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise UnknownScopeError(f"unknown scope(s) {', '.join(unknown)}; choose from {', '.join(SCOPES)}")
    if not scopes:
        raise UnknownScopeError(f"give at least one --scope from {', '.join(SCOPES)}")
    tenant = get_or_create_tenant(session, name=tenant_name)
    secret = secrets.token_urlsafe(32)
    client = ApiClient(
        client_id="lb_" + secrets.token_hex(12),
        secret_hash=hash_secret(secret),
        tenant_id=tenant.id,
        scopes=" ".join(sorted(set(scopes), key=SCOPES.index)),
    )
    session.add(client)
    session.flush()
    return client, secret


def list_clients(session: Session) -> list[tuple[ApiClient, Tenant]]:
    rows = session.execute(
        select(ApiClient, Tenant).join(Tenant, Tenant.id == ApiClient.tenant_id).order_by(ApiClient.id)
    )
    return [(client, tenant) for client, tenant in rows]


def revoke_client(session: Session, *, client_id: str) -> bool:
    client = session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))
    if client is None:
        return False
    if client.revoked_at is None:
        client.revoked_at = utcnow()
        session.flush()
    return True


def authenticate_client(session: Session, *, client_id: str, client_secret: str) -> ApiClient | None:
    """The active client with these credentials, or None (same cost whether or not it exists)."""
    client = session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))
    stored = client.secret_hash if client is not None and client.revoked_at is None else None
    if not verify_secret(stored, client_secret):
        return None
    return client


def get_active_client(session: Session, *, client_id: str, tenant_id: int) -> ApiClient | None:
    client = session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))
    if client is None or client.revoked_at is not None or client.tenant_id != tenant_id:
        return None
    return client
