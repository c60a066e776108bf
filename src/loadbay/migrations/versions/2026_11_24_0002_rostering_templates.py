"""rostering templates

Revision ID: 2026_11_24_0002
Revises: 2026_11_24_0001
Create Date: 2026-11-24 05:08:41.578899
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "2026_11_24_0002"
down_revision = "2026_11_24_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "group_memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.Column("group_name", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("last_import_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_group_memberships_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_memberships")),
        sa.UniqueConstraint(
            "tenant_id",
            "username",
            "group_name",
            "role",
            name=op.f("uq_group_memberships_tenant_id_username_group_name_role"),
        ),
    )
    op.create_table(
        "roster_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("organization_id", sa.String(length=255), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=True),
        sa.Column("last_import_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_roster_groups_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_groups")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_roster_groups_tenant_id_name")),
    )
    op.create_table(
        "test_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("delivery_id", sa.String(length=255), nullable=True),
        sa.Column("battery_id", sa.String(length=255), nullable=True),
        sa.Column("group_name", sa.String(length=255), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("start_date", sa.String(length=40), nullable=True),
        sa.Column("end_date", sa.String(length=40), nullable=True),
        sa.Column("submission_date", sa.String(length=40), nullable=True),
        sa.Column("waiting_page_date", sa.String(length=40), nullable=True),
        sa.Column("security_settings", sa.Text(), nullable=True),
        sa.Column("review_settings", sa.Text(), nullable=True),
        sa.Column("accessibility_plugins", sa.Text(), nullable=True),
        sa.Column("session_plugins", sa.Text(), nullable=True),
        sa.Column("report_settings", sa.Text(), nullable=True),
        sa.Column("read_aloud", sa.String(length=64), nullable=True),
        sa.Column("last_import_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_test_sessions_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_sessions")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_test_sessions_tenant_id_name")),
    )
    with op.batch_alter_table("imports", schema=None) as batch_op:
        # Existing imports have committed no checkpointed batch.
        batch_op.add_column(sa.Column("checkpoint_batches", sa.Integer(), nullable=False, server_default="0"))

    with op.batch_alter_table("org_units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_import_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("org_units", schema=None) as batch_op:
        batch_op.drop_column("last_import_id")

    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.drop_column("checkpoint_batches")

    op.drop_table("test_sessions")
    op.drop_table("roster_groups")
    op.drop_table("group_memberships")
