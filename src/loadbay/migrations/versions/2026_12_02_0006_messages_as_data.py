"""messages as data: import_messages gain code and severity; imports.messages goes

The status endpoint renders its strings from import_messages now, so the JSON copy of the first
messages on the import row is no longer written or read.

Revision ID: 2026_12_02_0006
Revises: 2026_11_24_0005
Create Date: 2026-12-02 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "2026_12_02_0006"
down_revision = "2026_11_24_0005"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not Alembic's batch mode: SQLite (3.35 and newer) adds and drops these columns
# in place, where a batch rebuild of ``imports`` would cascade-delete the rows that refer to it.


def upgrade() -> None:
    # Messages stored before codes existed were all errors; "unclassified" says no more.
    op.add_column(
        "import_messages",
        sa.Column("code", sa.String(length=32), nullable=False, server_default="unclassified"),
    )
    op.add_column(
        "import_messages", sa.Column("severity", sa.String(length=8), nullable=False, server_default="error")
    )
    op.drop_column("imports", "messages")


def downgrade() -> None:
    op.add_column("imports", sa.Column("messages", sa.JSON(), nullable=False, server_default="[]"))
    op.drop_column("import_messages", "severity")
    op.drop_column("import_messages", "code")
