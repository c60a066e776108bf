"""OneRoster 1.1 entities that Loadbay's rostering model had no table for.

Orgs, users, classes and enrollments land in the rostering tables (org_units, roster_users,
roster_groups, group_memberships); academic sessions, courses and demographics are stored here,
each keyed by its sourcedId within the tenant. Dates are kept as the file wrote them (ISO 8601).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from loadbay.models.base import Base, utcnow


class AcademicSession(Base):
    """A term, semester, grading period or school year (OneRoster academicSessions.csv)."""

    __tablename__ = "academic_sessions"
    __table_args__ = (UniqueConstraint("tenant_id", "source_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer)
    source_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255))
    session_type: Mapped[str] = mapped_column(String(32))
    start_date: Mapped[str] = mapped_column(String(10))
    end_date: Mapped[str] = mapped_column(String(10))
    parent_id: Mapped[str | None] = mapped_column(String(255), default=None)
    school_year: Mapped[str] = mapped_column(String(4))
    last_import_id: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Course(Base):
    """A course that classes are sections of (OneRoster courses.csv)."""

    __tablename__ = "courses"
    __table_args__ = (UniqueConstraint("tenant_id", "source_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer)
    source_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255))
    school_year_id: Mapped[str | None] = mapped_column(String(255), default=None)
    course_code: Mapped[str | None] = mapped_column(String(255), default=None)
    grades: Mapped[str | None] = mapped_column(String(255), default=None)
    org_id: Mapped[str] = mapped_column(String(255))
    subjects: Mapped[str | None] = mapped_column(Text, default=None)
    subject_codes: Mapped[str | None] = mapped_column(Text, default=None)
    last_import_id: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Demographic(Base):
    """A user's demographics (OneRoster demographics.csv); source_id is the user's sourcedId."""

    __tablename__ = "demographics"
    __table_args__ = (UniqueConstraint("tenant_id", "source_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer)
    source_id: Mapped[str] = mapped_column(String(255))
    birth_date: Mapped[str | None] = mapped_column(String(10), default=None)
    sex: Mapped[str | None] = mapped_column(String(8), default=None)
    american_indian_or_alaska_native: Mapped[bool | None] = mapped_column(Boolean, default=None)
    asian: Mapped[bool | None] = mapped_column(Boolean, default=None)
    black_or_african_american: Mapped[bool | None] = mapped_column(Boolean, default=None)
    native_hawaiian_or_other_pacific_islander: Mapped[bool | None] = mapped_column(Boolean, default=None)
    white: Mapped[bool | None] = mapped_column(Boolean, default=None)
    two_or_more_races: Mapped[bool | None] = mapped_column(Boolean, default=None)
    hispanic_or_latino_ethnicity: Mapped[bool | None] = mapped_column(Boolean, default=None)
    country_of_birth_code: Mapped[str | None] = mapped_column(String(8), default=None)
    state_of_birth_abbreviation: Mapped[str | None] = mapped_column(String(8), default=None)
    city_of_birth: Mapped[str | None] = mapped_column(String(255), default=None)
    public_school_residence_status: Mapped[str | None] = mapped_column(String(255), default=None)
    last_import_id: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
