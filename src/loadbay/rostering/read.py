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
from loadbay.models import (
    AcademicSession,
    Course,
    Demographic,
    GroupMembership,
    OrgUnit,
    RosterGroup,
    RosterUser,
    TestSession,
)
from loadbay.models.base import iso_utc


def _json(value: str | None) -> Any:
    return json.loads(value) if value else None


def _split(value: str | None) -> list[str]:
    """A multi-valued column (ids joined by commas) as a list."""
    return value.split(",") if value else []


def organization_view(unit: OrgUnit) -> dict[str, Any]:
    return {
        "organizationId": unit.org_id,
        "name": unit.name,
        "description": unit.description,
        "parentOrganizationId": unit.parent_org_id,
        "type": unit.org_type,
        "identifier": unit.identifier,
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
        "sourcedId": user.source_id,
        "givenName": user.given_name,
        "familyName": user.family_name,
        "middleName": user.middle_name,
        "identifier": user.identifier,
        "organizationIds": _split(user.organization_ids),
        "userIds": _split(user.user_ids),
        "agentSourcedIds": _split(user.agent_ids),
        "grades": _split(user.grades),
        "phone": user.phone,
        "sms": user.sms,
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
        "classCode": group.class_code,
        "classType": group.class_type,
        "courseSourcedId": group.course_id,
        "termSourcedIds": _split(group.term_ids),
        "grades": _split(group.grades),
        "subjects": _split(group.subjects),
        "createdAt": iso_utc(group.created_at),
        "updatedAt": iso_utc(group.updated_at),
    }


def membership_view(link: GroupMembership) -> dict[str, Any]:
    return {
        "username": link.username,
        "groupName": link.group_name,
        "role": link.role,
        "sourcedId": link.source_id,
        "userSourcedId": link.user_source_id,
        "schoolSourcedId": link.school_id,
        "primary": link.is_primary,
        "beginDate": link.begin_date,
        "endDate": link.end_date,
        "createdAt": iso_utc(link.created_at),
    }


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


def academic_session_view(item: AcademicSession) -> dict[str, Any]:
    return {
        "sourcedId": item.source_id,
        "title": item.title,
        "type": item.session_type,
        "startDate": item.start_date,
        "endDate": item.end_date,
        "parentSourcedId": item.parent_id,
        "schoolYear": item.school_year,
        "createdAt": iso_utc(item.created_at),
        "updatedAt": iso_utc(item.updated_at),
    }


def course_view(item: Course) -> dict[str, Any]:
    return {
        "sourcedId": item.source_id,
        "title": item.title,
        "schoolYearSourcedId": item.school_year_id,
        "courseCode": item.course_code,
        "grades": _split(item.grades),
        "orgSourcedId": item.org_id,
        "subjects": _split(item.subjects),
        "subjectCodes": _split(item.subject_codes),
        "createdAt": iso_utc(item.created_at),
        "updatedAt": iso_utc(item.updated_at),
    }


def demographic_view(item: Demographic) -> dict[str, Any]:
    return {
        "sourcedId": item.source_id,
        "birthDate": item.birth_date,
        "sex": item.sex,
        "americanIndianOrAlaskaNative": item.american_indian_or_alaska_native,
        "asian": item.asian,
        "blackOrAfricanAmerican": item.black_or_african_american,
        "nativeHawaiianOrOtherPacificIslander": item.native_hawaiian_or_other_pacific_islander,
        "white": item.white,
        "demographicRaceTwoOrMoreRaces": item.two_or_more_races,
        "hispanicOrLatinoEthnicity": item.hispanic_or_latino_ethnicity,
        "countryOfBirthCode": item.country_of_birth_code,
        "stateOfBirthAbbreviation": item.state_of_birth_abbreviation,
        "cityOfBirth": item.city_of_birth,
        "publicSchoolResidenceStatus": item.public_school_residence_status,
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
    # OneRoster's own entities, by sourcedId.
    "academicSessions": Collection(
        "academic session", AcademicSession, AcademicSession.source_id, academic_session_view
    ),
    "courses": Collection("course", Course, Course.source_id, course_view),
    "demographics": Collection("demographics record", Demographic, Demographic.source_id, demographic_view),
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
