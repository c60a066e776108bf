"""The rostering read API: ``GET /api/v1/rostering/{collection}`` and one item by key (scope rostering)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from loadbay.auth.deps import RosteringClient
from loadbay.deps import DbSession
from loadbay.errors import ApiError
from loadbay.kit.pagination import BadCursor, decode_cursor
from loadbay.rostering.read import COLLECTIONS, Collection, get_one, list_page

router = APIRouter(prefix="/api/v1/rostering", tags=["rostering"])

Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page.")]


def _collection(name: str) -> Collection:
    collection = COLLECTIONS.get(name)
    if collection is None:
        raise ApiError(404, f"No collection '{name}'. Collections: {', '.join(COLLECTIONS)}.")
    return collection


def _after(cursor: str | None) -> int:
    try:
        return decode_cursor(cursor)
    except BadCursor:
        raise ApiError(400, "The cursor is not one this API gave out; start again without it.") from None


@router.get("/memberships")
def memberships(
    client: RosteringClient,
    session: DbSession,
    limit: Limit = 100,
    cursor: str | None = None,
    username: str | None = None,
    groupName: str | None = None,
) -> Any:
    """Links of users to groups; filter by ``username`` or ``groupName``."""
    filters = {k: v for k, v in {"username": username, "group_name": groupName}.items() if v}
    return list_page(
        session,
        collection=COLLECTIONS["memberships"],
        tenant_id=client.tenant_id,
        after_id=_after(cursor),
        limit=limit,
        filters=filters,
    )


@router.get("/{name}")
def list_collection(
    name: str, client: RosteringClient, session: DbSession, limit: Limit = 100, cursor: str | None = None
) -> Any:
    """A page of organizations, users, groups, sessions, academicSessions, courses or
    demographics, oldest first; follow ``nextCursor``."""
    return list_page(
        session,
        collection=_collection(name),
        tenant_id=client.tenant_id,
        after_id=_after(cursor),
        limit=limit,
    )


@router.get("/{name}/{key}")
def get_item(name: str, key: str, client: RosteringClient, session: DbSession) -> Any:
    """One organization (by id), user (username), group (name), session (name), or academic
    session, course or demographics record (sourcedId)."""
    collection = _collection(name)
    if collection.key is None:
        raise ApiError(404, "Memberships have no single-item address; filter the list instead.")
    item = get_one(session, collection=collection, tenant_id=client.tenant_id, key=key)
    if item is None:
        raise ApiError(404, f"No {collection.noun} '{key}' in this tenant.")
    return item
