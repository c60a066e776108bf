"""import_messages: every message of an import, for the paginated imports API

Revision ID: 2026_11_24_0005
Revises: 2026_11_24_0001
Create Date: 2026-11-24 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "2026_11_24_0005"
down_revision = "2026_11_24_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_messages",
        sa.Column("import_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("column", sa.String(length=255), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["imports.id"],
            name=op.f("fk_import_messages_import_id_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("import_id", "seq", name=op.f("pk_import_messages")),
    )


def downgrade() -> None:
    op.drop_table("import_messages")
