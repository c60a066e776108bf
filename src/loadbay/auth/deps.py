"""Bearer-token authentication and scope checks as FastAPI dependencies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from loadbay.auth.service import get_active_client
from loadbay.deps import DbSession, RuntimeDep
from loadbay.errors import AccessDenied, InsufficientScope
from loadbay.logs import annotate


@dataclass(frozen=True)
class AuthClient:
    id: int
    client_id: str
    tenant_id: int
    scopes: frozenset[str]


def bearer_token(request: Request, *, allow_bare: bool = False) -> str | None:
    header = request.headers.get("authorization", "").strip()
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if allow_bare and header and " " not in header:
        return header
    return None


def require_scope(scope: str | None, *, allow_bare: bool = False) -> Callable[..., AuthClient]:
    """A dependency: the calling client, which must hold ``scope`` (401 / 403 otherwise).

    With ``scope=None`` any valid token will do; the endpoint narrows by the scopes it holds.
    """

    def dependency(request: Request, session: DbSession, runtime: RuntimeDep) -> AuthClient:
        token = bearer_token(request, allow_bare=allow_bare)
        claims = runtime.signer.verify(token) if token else None
        if claims is None:
            raise AccessDenied(presented=token is not None)
        # Looked up on every request so that revoking a client stops its tokens at once.
        client = get_active_client(session, client_id=claims.client_id, tenant_id=claims.tenant_id)
        # End the read now: an open transaction keeps its pooled connection checked out, and an
        # upload's endpoint would keep it through the whole body stream, before it even writes.
        session.commit()
        if client is None:
            raise AccessDenied(presented=True)
        annotate(tenant=client.tenant_id, client_id=client.client_id)
        if scope is not None and (scope not in claims.scopes or scope not in client.scope_set):
            raise InsufficientScope(scope)
        return AuthClient(
            id=client.id,
            client_id=client.client_id,
            tenant_id=client.tenant_id,
            # A token outlives a narrowing of the client's scopes; the narrower set wins.
            scopes=frozenset(claims.scopes) & client.scope_set,
        )

    return dependency


RosteringClient = Annotated[AuthClient, Depends(require_scope("rostering"))]
AnyClient = Annotated[AuthClient, Depends(require_scope(None))]
