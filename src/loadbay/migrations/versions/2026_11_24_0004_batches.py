"""batches: companies, projects, import batches (seed 003) and the payment records

Revision ID: 2026_11_24_0004
Revises: 2026_11_24_0001
Create Date: 2026-11-24 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "2026_11_24_0004"
down_revision = "2026_11_24_0001"
branch_labels = None
depends_on = None


def _record_columns() -> dict[str, list[sa.Column[object]]]:
    """Each payment table's own columns, fresh per call (a Column belongs to one table)."""

    def money() -> list[sa.Column[object]]:
        return [
            sa.Column("amount", sa.String(length=24), nullable=False),
            sa.Column("amount_minor", sa.BigInteger(), nullable=False),
            sa.Column("currency", sa.String(length=3), nullable=False),
            sa.Column("status", sa.String(length=16), nullable=False),
            sa.Column("occurred_at", sa.DateTime(), nullable=False),
            sa.Column("reference", sa.String(length=64), nullable=True),
            sa.Column("description", sa.String(length=255), nullable=True),
        ]

    def accounts() -> list[sa.Column[object]]:
        return [
            sa.Column("source_account_id", sa.String(length=64), nullable=False),
            sa.Column("destination_account_id", sa.String(length=64), nullable=False),
        ]

    return {
        "payment_transactions": [
            sa.Column("transaction_id", sa.String(length=64), nullable=False),
            sa.Column("account_id", sa.String(length=64), nullable=False),
            sa.Column("type", sa.String(length=16), nullable=False),
            *money(),
        ],
        "payment_infos": [
            sa.Column("payment_info_id", sa.String(length=64), nullable=False),
            sa.Column("account_id", sa.String(length=64), nullable=False),
            sa.Column("payment_method", sa.String(length=16), nullable=False),
            sa.Column("token", sa.String(length=255), nullable=False),
            sa.Column("card_brand", sa.String(length=16), nullable=True),
            sa.Column("last4", sa.String(length=4), nullable=True),
            sa.Column("expiry", sa.String(length=7), nullable=True),
            sa.Column("holder_name", sa.String(length=255), nullable=True),
            sa.Column("billing_country", sa.String(length=2), nullable=True),
        ],
        "transfer_transactions": [
            sa.Column("transfer_id", sa.String(length=64), nullable=False),
            *accounts(),
            sa.Column("type", sa.String(length=16), nullable=False),
            *money(),
        ],
        "transfer_payment_infos": [
            sa.Column("transfer_payment_info_id", sa.String(length=64), nullable=False),
            *accounts(),
            sa.Column("payment_method", sa.String(length=16), nullable=False),
            sa.Column("token", sa.String(length=255), nullable=False),
            sa.Column("currency", sa.String(length=3), nullable=False),
            sa.Column("beneficiary_name", sa.String(length=255), nullable=True),
            sa.Column("bank_country", sa.String(length=2), nullable=True),
        ],
    }


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_companies_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_companies")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_companies_tenant_id_name")),
    )
    op.create_table(
        "company_projects",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("company_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_company_projects_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_projects")),
        sa.UniqueConstraint("company_id", "name", name=op.f("uq_company_projects_company_id_name")),
    )
    op.create_table(
        "import_batches",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("import_type", sa.String(length=32), nullable=False),
        sa.Column("import_id", sa.String(length=36), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("original_filename", sa.String(length=255), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(), nullable=True),
        sa.Column("files_deleted_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["api_clients.id"], name=op.f("fk_import_batches_client_id_api_clients")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_import_batches_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_import_batches_import_id_imports")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["company_projects.id"],
            name=op.f("fk_import_batches_project_id_company_projects"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_import_batches_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
        sa.UniqueConstraint("import_id", name=op.f("uq_import_batches_import_id")),
    )
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_batches_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_import_batches_project_id"), ["project_id"], unique=False)

    for table, columns in _record_columns().items():
        key = columns[0].name
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("tenant_id", sa.Integer(), nullable=False),
            sa.Column("company_id", sa.String(length=36), nullable=False),
            sa.Column("project_id", sa.String(length=36), nullable=False),
            sa.Column("last_import_id", sa.String(length=36), nullable=False),
            sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.Column("updated_at", sa.DateTime(), nullable=False),
            *columns,
            sa.ForeignKeyConstraint(
                ["company_id"], ["companies.id"], name=op.f(f"fk_{table}_company_id_companies")
            ),
            sa.ForeignKeyConstraint(
                ["last_import_id"], ["imports.id"], name=op.f(f"fk_{table}_last_import_id_imports")
            ),
            sa.ForeignKeyConstraint(
                ["project_id"], ["company_projects.id"], name=op.f(f"fk_{table}_project_id_company_projects")
            ),
            sa.ForeignKeyConstraint(
                ["tenant_id"], ["tenants.id"], name=op.f(f"fk_{table}_tenant_id_tenants")
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
            sa.UniqueConstraint("company_id", key, name=op.f(f"uq_{table}_company_id_{key}")),
        )


def downgrade() -> None:
    for table in reversed(list(_record_columns())):
        op.drop_table(table)
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_batches_project_id"))
        batch_op.drop_index(batch_op.f("ix_import_batches_company_id"))
    op.drop_table("import_batches")
    op.drop_table("company_projects")
    op.drop_table("companies")
