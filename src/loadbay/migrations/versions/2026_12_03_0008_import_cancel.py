"""import cancel: imports gain cancel_requested_at

A cancel of a running import sets it; the worker reads it back with each checkpoint and stops
there, keeping the batches already committed. A pending import nobody runs is cancelled at once.

Revision ID: 2026_12_03_0008
Revises: 2026_12_03_0007
Create Date: 2026-12-03 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "2026_12_03_0008"
down_revision = "2026_12_03_0007"
branch_labels = None
depends_on = None


# Plain ALTER TABLE (SQLite adds a column in place): a batch rebuild of ``imports`` would
# cascade-delete the messages that refer to it.
def upgrade() -> None:
    op.add_column("imports", sa.Column("cancel_requested_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("imports", "cancel_requested_at")
