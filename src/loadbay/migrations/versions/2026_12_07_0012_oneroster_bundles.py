"""oneroster bundles: OneRoster 1.1 entities on the rostering tables, bundle progress per file

Orgs, users, classes and enrollments land in org_units, roster_users, roster_groups and
group_memberships (users and enrollments matched by their sourcedId, a second unique key);
academic sessions, courses and demographics get tables of their own. An import of a bundle keeps
its files' progress (imports.bundle) and each message names its file (import_messages.file).

Revision ID: 2026_12_07_0012
Revises: 2026_12_04_0011
Create Date: 2026-12-07 04:28:01.476992
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "2026_12_07_0012"
down_revision = "2026_12_04_0011"
branch_labels = None
depends_on = ("2026_11_24_0002",)


def upgrade() -> None:
    op.create_table(
        "academic_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("session_type", sa.String(length=32), nullable=False),
        sa.Column("start_date", sa.String(length=10), nullable=False),
        sa.Column("end_date", sa.String(length=10), nullable=False),
        sa.Column("parent_id", sa.String(length=255), nullable=True),
        sa.Column("school_year", sa.String(length=4), nullable=False),
        sa.Column("last_import_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_academic_sessions")),
        sa.UniqueConstraint("tenant_id", "source_id", name=op.f("uq_academic_sessions_tenant_id_source_id")),
    )
    op.create_table(
        "courses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("school_year_id", sa.String(length=255), nullable=True),
        sa.Column("course_code", sa.String(length=255), nullable=True),
        sa.Column("grades", sa.String(length=255), nullable=True),
        sa.Column("org_id", sa.String(length=255), nullable=False),
        sa.Column("subjects", sa.Text(), nullable=True),
        sa.Column("subject_codes", sa.Text(), nullable=True),
        sa.Column("last_import_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courses")),
        sa.UniqueConstraint("tenant_id", "source_id", name=op.f("uq_courses_tenant_id_source_id")),
    )
    op.create_table(
        "demographics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("birth_date", sa.String(length=10), nullable=True),
        sa.Column("sex", sa.String(length=8), nullable=True),
        sa.Column("american_indian_or_alaska_native", sa.Boolean(), nullable=True),
        sa.Column("asian", sa.Boolean(), nullable=True),
        sa.Column("black_or_african_american", sa.Boolean(), nullable=True),
        sa.Column("native_hawaiian_or_other_pacific_islander", sa.Boolean(), nullable=True),
        sa.Column("white", sa.Boolean(), nullable=True),
        sa.Column("two_or_more_races", sa.Boolean(), nullable=True),
        sa.Column("hispanic_or_latino_ethnicity", sa.Boolean(), nullable=True),
        sa.Column("country_of_birth_code", sa.String(length=8), nullable=True),
        sa.Column("state_of_birth_abbreviation", sa.String(length=8), nullable=True),
        sa.Column("city_of_birth", sa.String(length=255), nullable=True),
        sa.Column("public_school_residence_status", sa.String(length=255), nullable=True),
        sa.Column("last_import_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demographics")),
        sa.UniqueConstraint("tenant_id", "source_id", name=op.f("uq_demographics_tenant_id_source_id")),
    )
    with op.batch_alter_table("group_memberships", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("user_source_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("school_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("is_primary", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("begin_date", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("end_date", sa.String(length=10), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_group_memberships_tenant_id_source_id"), ["tenant_id", "source_id"]
        )

    with op.batch_alter_table("import_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("file", sa.String(length=255), nullable=True))

    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bundle", sa.Text(), nullable=True))

    with op.batch_alter_table("org_units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("org_type", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("identifier", sa.String(length=255), nullable=True))

    with op.batch_alter_table("roster_groups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("class_code", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("class_type", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("course_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("term_ids", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("grades", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("subjects", sa.Text(), nullable=True))

    with op.batch_alter_table("roster_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("given_name", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("family_name", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("middle_name", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("identifier", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("organization_ids", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("user_ids", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("agent_ids", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("grades", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("phone", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("sms", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_roster_users_tenant_id_source_id"), ["tenant_id", "source_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("roster_users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_roster_users_tenant_id_source_id"), type_="unique")
        batch_op.drop_column("sms")
        batch_op.drop_column("phone")
        batch_op.drop_column("grades")
        batch_op.drop_column("agent_ids")
        batch_op.drop_column("user_ids")
        batch_op.drop_column("organization_ids")
        batch_op.drop_column("identifier")
        batch_op.drop_column("middle_name")
        batch_op.drop_column("family_name")
        batch_op.drop_column("given_name")
        batch_op.drop_column("source_id")

    with op.batch_alter_table("roster_groups", schema=None) as batch_op:
        batch_op.drop_column("subjects")
        batch_op.drop_column("grades")
        batch_op.drop_column("term_ids")
        batch_op.drop_column("course_id")
        batch_op.drop_column("class_type")
        batch_op.drop_column("class_code")

    with op.batch_alter_table("org_units", schema=None) as batch_op:
        batch_op.drop_column("identifier")
        batch_op.drop_column("org_type")

    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.drop_column("bundle")

    with op.batch_alter_table("import_messages", schema=None) as batch_op:
        batch_op.drop_column("file")

    with op.batch_alter_table("group_memberships", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_group_memberships_tenant_id_source_id"), type_="unique")
        batch_op.drop_column("end_date")
        batch_op.drop_column("begin_date")
        batch_op.drop_column("is_primary")
        batch_op.drop_column("school_id")
        batch_op.drop_column("user_source_id")
        batch_op.drop_column("source_id")

    op.drop_table("demographics")
    op.drop_table("courses")
    op.drop_table("academic_sessions")
