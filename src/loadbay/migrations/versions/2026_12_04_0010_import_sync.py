"""import sync: imports gain deactivated/removed counts and synced_at; org units gain active

An upload with mode=sync deactivates (users, groups, organizations) or removes (links,
sessions) the tenant's rows of the template the file did not mention. Organization units had
no active flag; every stored one starts active.

Revision ID: 2026_12_04_0010
Revises: 2026_12_03_0009
Create Date: 2026-12-04 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "2026_12_04_0010"
down_revision = "2026_12_03_0009"
branch_labels = None
depends_on = None


# Plain ALTER TABLE (SQLite adds a column in place): a batch rebuild of ``imports`` would
# cascade-delete the messages that refer to it.
def upgrade() -> None:
    op.add_column("imports", sa.Column("deactivated_count", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("imports", sa.Column("removed_count", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("imports", sa.Column("synced_at", sa.DateTime(), nullable=True))
    op.add_column("org_units", sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    op.drop_column("org_units", "active")
    op.drop_column("imports", "synced_at")
    op.drop_column("imports", "removed_count")
    op.drop_column("imports", "deactivated_count")
