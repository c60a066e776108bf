"""What was imported, read back per tenant: pages of entities and single entities by key.

Passwords never come back: the serializers below name every field they return.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loadbay.kit.pagination import encode_cursor
from loadbay.models import GroupMembership, OrgUnit, RosterGroup, RosterUser, TestSession
from loadbay.models.base import iso_utc


def _json(value: str | None) -> Any:
    return json.loads(value) if value else None


def organization_view(unit: OrgUnit) -> dict[str, Any]:
    return {
        "organizationId": unit.org_id,
        "name": unit.name,
        "description": unit.description,
        "parentOrganizationId": unit.parent_org_id,
        "active": unit.active,
        "createdAt": iso_utc(unit.created_at),
        "updatedAt": iso_utc(unit.updated_at),
    }


def user_view(user: RosterUser) -> dict[str, Any]:
    return {
        "username": user.username,
        "name": user.name,
        "email": user.email,
        "language": user.language,
        "active": user.active,
        "roles": user.roles.split("|") if user.roles else [],
        "organizationId": user.organization_id,
        "externalId": _json(user.external_id),
        "metadata": _json(user.metadata_json) or {},
        "hasPassword": user.password_hash is not None,
        "createdAt": iso_utc(user.created_at),
        "updatedAt": iso_utc(user.updated_at),
    }


def group_view(group: RosterGroup) -> dict[str, Any]:
    return {
        "name": group.name,
        "description": group.description,
        "active": group.active,
        "organizationId": group.organization_id,
        "metadata": _json(group.metadata_json) or {},
        "createdAt": iso_utc(group.created_at),
        "updatedAt": iso_utc(group.updated_at),
    }


def membership_view(link: GroupMembership) -> dict[str, Any]:
    return {
        "username": link.username,
        "groupName": link.group_name,
        "role": link.role,
        "createdAt": iso_utc(link.created_at),
    }


def _split(value: str | None) -> list[str]:
    return value.split(",") if value else []


def session_view(item: TestSession) -> dict[str, Any]:
    return {
        "name": item.name,
        "deliveryId": item.delivery_id,
        "batteryId": item.battery_id,
        "groupName": item.group_name,
        "timezone": item.timezone,
        "startDate": item.start_date,
        "endDate": item.end_date,
        "submissionDate": item.submission_date,
        "waitingPageDate": item.waiting_page_date,
        "securitySettings": _split(item.security_settings),
        "reviewSettings": _split(item.review_settings),
        "testRunnerAccessibilityPlugins": _split(item.accessibility_plugins),
        "testRunnerSessionPlugins": _split(item.session_plugins),
        "reportSettings": _split(item.report_settings),
        "readAloud": item.read_aloud,
        "createdAt": iso_utc(item.created_at),
        "updatedAt": iso_utc(item.updated_at),
    }


@dataclass(frozen=True)
class Collection:
    """One readable entity: its table, its key column, how it is shown."""

    noun: str
    model: Any
    key: Any
    view: Callable[[Any], dict[str, Any]]


COLLECTIONS = {
    "organizations": Collection("organization", OrgUnit, OrgUnit.org_id, organization_view),
    "users": Collection("user", RosterUser, RosterUser.username, user_view),
    "groups": Collection("group", RosterGroup, RosterGroup.name, group_view),
    "memberships": Collection("membership", GroupMembership, None, membership_view),
    "sessions": Collection("session", TestSession, TestSession.name, session_view),
}


def list_page(
    session: Session,
    *,
    collection: Collection,
    tenant_id: int,
    after_id: int,
    limit: int,
    filters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One page in id order, and the cursor for the next (null on the last page)."""
    model = collection.model
    statement = select(model).where(model.tenant_id == tenant_id, model.id > after_id)
    for attribute, value in (filters or {}).items():
        statement = statement.where(getattr(model, attribute) == value)
    rows = session.scalars(statement.order_by(model.id).limit(limit + 1)).all()
    page = rows[:limit]
    return {
        "items": [collection.view(row) for row in page],
        "nextCursor": encode_cursor(page[-1].id) if len(rows) > limit else None,
    }


def get_one(session: Session, *, collection: Collection, tenant_id: int, key: str) -> dict[str, Any] | None:
    row = session.scalar(
        select(collection.model).where(collection.model.tenant_id == tenant_id, collection.key == key)
    )
    return collection.view(row) if row is not None else None
