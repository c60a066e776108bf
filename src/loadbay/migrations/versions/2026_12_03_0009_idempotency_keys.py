"""idempotency keys and deleted files: the first answer to an upload sent with Idempotency-Key;
imports gain files_deleted_at (DELETE /api/v1/imports/{ref} and the retention sweep)

Revision ID: 2026_12_03_0009
Revises: 2026_12_03_0008
Create Date: 2026-12-03 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "2026_12_03_0009"
down_revision = "2026_12_03_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "endpoint", "key", name=op.f("pk_idempotency_keys")),
    )
    # Plain ALTER TABLE: a batch rebuild of ``imports`` would cascade-delete its messages.
    op.add_column("imports", sa.Column("files_deleted_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("imports", "files_deleted_at")
    op.drop_table("idempotency_keys")
