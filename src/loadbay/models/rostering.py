"""Rostering entities imported from TAO-Portal-style CSV files."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from loadbay.models.base import Base, utcnow

ROOT_ORGANIZATION = "root"

# The entity tables' tenant_id has no foreign key on purpose: it is the import's own tenant, set
# once per import, and a key re-checked it per row, which doubled bulk inserts on PostgreSQL
# (migration 0007, docs/engine.md).


def source_id_key(table: str) -> Index:
    """The OneRoster key, unique among the rows that have one. Partial: TAO's rows have no
    sourcedId, and indexing their nulls cost a 1M-row TAO users load a fifth of its writing
    (migration 0013, docs/engine.md)."""
    only = text("source_id IS NOT NULL")
    return Index(
        f"uq_{table}_tenant_id_source_id",
        "tenant_id",
        "source_id",
        unique=True,
        sqlite_where=only,
        postgresql_where=only,
    )


class OrgUnit(Base):
    __tablename__ = "org_units"
    __table_args__ = (UniqueConstraint("tenant_id", "org_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer)
    org_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    parent_org_id: Mapped[str | None] = mapped_column(String(255), default=None)
    # OneRoster orgs (org_id = sourcedId): type (district, school, ...) and identifier.
    org_type: Mapped[str | None] = mapped_column(String(32), default=None)
    identifier: Mapped[str | None] = mapped_column(String(255), default=None)
    # False once a mode=sync organizations file left the unit out; the template has no column
    # for it, so any later organizations file that names the unit turns it back on.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_import_id: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class RosterUser(Base):
    __tablename__ = "roster_users"
    # The username is the TAO key; a OneRoster user is matched by its sourcedId (null for TAO's).
    __table_args__ = (UniqueConstraint("tenant_id", "username"), source_id_key("roster_users"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255), default=None)
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    language: Mapped[str | None] = mapped_column(String(35), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    roles: Mapped[str | None] = mapped_column(String(255), default=None)
    organization_id: Mapped[str] = mapped_column(String(255))
    # JSON text, compared as text when diffing a row against what is stored.
    external_id: Mapped[str | None] = mapped_column(Text, default=None)
    metadata_json: Mapped[str | None] = mapped_column("metadata", Text, default=None)
    # OneRoster users: sourcedId, the name's parts, every org (comma-separated; organization_id is
    # the first), and the rest of the row as sent.
    source_id: Mapped[str | None] = mapped_column(String(255), default=None)
    given_name: Mapped[str | None] = mapped_column(String(255), default=None)
    family_name: Mapped[str | None] = mapped_column(String(255), default=None)
    middle_name: Mapped[str | None] = mapped_column(String(255), default=None)
    identifier: Mapped[str | None] = mapped_column(String(255), default=None)
    organization_ids: Mapped[str | None] = mapped_column(Text, default=None)
    user_ids: Mapped[str | None] = mapped_column(Text, default=None)
    agent_ids: Mapped[str | None] = mapped_column(Text, default=None)
    grades: Mapped[str | None] = mapped_column(String(255), default=None)
    phone: Mapped[str | None] = mapped_column(String(64), default=None)
    sms: Mapped[str | None] = mapped_column(String(64), default=None)
    last_import_id: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class RosterGroup(Base):
    __tablename__ = "roster_groups"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    organization_id: Mapped[str] = mapped_column(String(255))
    metadata_json: Mapped[str | None] = mapped_column("metadata", Text, default=None)
    # OneRoster classes (name = the class's sourcedId, description = its title): the class's
    # code, type, course, terms (comma-separated sessions), grades and subjects.
    class_code: Mapped[str | None] = mapped_column(String(255), default=None)
    class_type: Mapped[str | None] = mapped_column(String(32), default=None)
    course_id: Mapped[str | None] = mapped_column(String(255), default=None)
    term_ids: Mapped[str | None] = mapped_column(Text, default=None)
    grades: Mapped[str | None] = mapped_column(String(255), default=None)
    subjects: Mapped[str | None] = mapped_column(Text, default=None)
    last_import_id: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class GroupMembership(Base):
    """A user's role in a group; the three together are the link's key.

    A OneRoster enrollment is one too, matched by its sourcedId (null for TAO's links)."""

    __tablename__ = "group_memberships"
    __table_args__ = (
        UniqueConstraint("tenant_id", "username", "group_name", "role"),
        source_id_key("group_memberships"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(255))
    group_name: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str | None] = mapped_column(String(255), default=None)
    # OneRoster enrollments: the user's sourcedId, the class's school, primary, begin and end.
    user_source_id: Mapped[str | None] = mapped_column(String(255), default=None)
    school_id: Mapped[str | None] = mapped_column(String(255), default=None)
    is_primary: Mapped[bool | None] = mapped_column(Boolean, default=None)
    begin_date: Mapped[str | None] = mapped_column(String(10), default=None)
    end_date: Mapped[str | None] = mapped_column(String(10), default=None)
    last_import_id: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class TestSession(Base):
    """A test session delivering a delivery (or battery) to a group."""

    __tablename__ = "test_sessions"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)
    __test__ = False  # not a pytest test class, whatever its name says

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    delivery_id: Mapped[str | None] = mapped_column(String(255), default=None)
    battery_id: Mapped[str | None] = mapped_column(String(255), default=None)
    group_name: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    start_date: Mapped[str | None] = mapped_column(String(40), default=None)
    end_date: Mapped[str | None] = mapped_column(String(40), default=None)
    submission_date: Mapped[str | None] = mapped_column(String(40), default=None)
    waiting_page_date: Mapped[str | None] = mapped_column(String(40), default=None)
    security_settings: Mapped[str | None] = mapped_column(Text, default=None)
    review_settings: Mapped[str | None] = mapped_column(Text, default=None)
    accessibility_plugins: Mapped[str | None] = mapped_column(Text, default=None)
    session_plugins: Mapped[str | None] = mapped_column(Text, default=None)
    report_settings: Mapped[str | None] = mapped_column(Text, default=None)
    read_aloud: Mapped[str | None] = mapped_column(String(64), default=None)
    last_import_id: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
