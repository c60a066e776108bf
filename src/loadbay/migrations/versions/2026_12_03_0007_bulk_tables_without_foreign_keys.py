"""bulk tables without foreign keys: the imported entity tables drop their per-row references

Every row an import writes into these tables carries the import's own scope (its tenant, and
for payments its company, project and import), set by Loadbay once per import, never read from
the file. A foreign key re-checked that constant for every row: on PostgreSQL the check doubled
the time of inserting 1,000,000 users (15.8 s against 8.2 s; docs/engine.md). The control-plane
tables (clients, imports, files, batches) keep theirs.

Revision ID: 2026_12_03_0007
Revises: 2026_12_02_0006
Create Date: 2026-12-03 17:00:00
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_03_0007"
down_revision = "2026_12_02_0006"
branch_labels = None
# The rostering tables come from 0002 (and 0001), the payment tables from 0004.
depends_on = ("2026_11_24_0002", "2026_11_24_0004")

_ROSTERING = ("org_units", "roster_users", "roster_groups", "group_memberships", "test_sessions")
_PAYMENTS = ("payment_transactions", "payment_infos", "transfer_transactions", "transfer_payment_infos")
_PAYMENT_REFERENCES = (
    ("tenant_id", "tenants"),
    ("company_id", "companies"),
    ("project_id", "company_projects"),
    ("last_import_id", "imports"),
)


def _references() -> list[tuple[str, str, str]]:
    """(table, column, referred table) of every dropped foreign key."""
    found = [(table, "tenant_id", "tenants") for table in _ROSTERING]
    found += [(table, column, referred) for table in _PAYMENTS for column, referred in _PAYMENT_REFERENCES]
    return found


def upgrade() -> None:
    # On SQLite a batch rebuilds each table; nothing refers to these tables, so nothing cascades.
    for table in (*_ROSTERING, *_PAYMENTS):
        with op.batch_alter_table(table) as batch:
            for _table, column, referred in (r for r in _references() if r[0] == table):
                batch.drop_constraint(f"fk_{table}_{column}_{referred}", type_="foreignkey")


def downgrade() -> None:
    for table in (*_ROSTERING, *_PAYMENTS):
        with op.batch_alter_table(table) as batch:
            for _table, column, referred in (r for r in _references() if r[0] == table):
                batch.create_foreign_key(f"fk_{table}_{column}_{referred}", referred, [column], ["id"])
