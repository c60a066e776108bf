"""Companies, their projects and import batches (seed 003), and the payment records imported."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from loadbay.models.base import Base, utcnow

DEFAULT_RETENTION_DAYS = 30


class Company(Base):
    """A merchant of a tenant. The tenant's clients with scope ``payments`` act for its companies."""

    __tablename__ = "companies"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    # A GUID, as the seed types CompanyId.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    name: Mapped[str] = mapped_column(String(200))
    # Uploaded files and result files are deleted this many days after their import finished.
    retention_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_RETENTION_DAYS)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CompanyProject(Base):
    """Keeps the batches of one project of a company apart from another's."""

    __tablename__ = "company_projects"
    __table_args__ = (UniqueConstraint("company_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ImportBatch(Base):
    """A staged import: one type, one file at most. Its import is an ordinary ImportJob."""

    __tablename__ = "import_batches"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"), index=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("company_projects.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"))
    import_type: Mapped[str] = mapped_column(String(32))
    # Set once, by the upload that is accepted; the hash recognises the same file sent again.
    import_id: Mapped[str | None] = mapped_column(ForeignKey("imports.id"), unique=True, default=None)
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    original_filename: Mapped[str | None] = mapped_column(String(255), default=None)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger, default=None)
    uploaded_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    # Set by the retention sweep once the stored upload and the result file are deleted.
    files_deleted_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class _PaymentRecord:
    """Columns every imported payment record shares: whose it is and which import wrote it last.

    No foreign keys: the engine sets these four once per import from rows it checked itself, and
    a key re-checked them per imported row (migration 0007, docs/engine.md).
    """

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer)
    company_id: Mapped[str] = mapped_column(String(36))
    project_id: Mapped[str] = mapped_column(String(36))
    last_import_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PaymentTransaction(_PaymentRecord, Base):
    __tablename__ = "payment_transactions"
    __table_args__ = (UniqueConstraint("company_id", "transaction_id"),)

    transaction_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(16))
    # Exact: the decimal as text in the currency's minor unit, and the integer count of minor units.
    amount: Mapped[str] = mapped_column(String(24))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    reference: Mapped[str | None] = mapped_column(String(64), default=None)
    description: Mapped[str | None] = mapped_column(String(255), default=None)


class PaymentInfo(_PaymentRecord, Base):
    """A tokenized payment method of a customer account: never a raw card number."""

    __tablename__ = "payment_infos"
    __table_args__ = (UniqueConstraint("company_id", "payment_info_id"),)

    payment_info_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[str] = mapped_column(String(64))
    payment_method: Mapped[str] = mapped_column(String(16))
    token: Mapped[str] = mapped_column(String(255))
    card_brand: Mapped[str | None] = mapped_column(String(16), default=None)
    last4: Mapped[str | None] = mapped_column(String(4), default=None)
    expiry: Mapped[str | None] = mapped_column(String(7), default=None)
    holder_name: Mapped[str | None] = mapped_column(String(255), default=None)
    billing_country: Mapped[str | None] = mapped_column(String(2), default=None)


class TransferTransaction(_PaymentRecord, Base):
    __tablename__ = "transfer_transactions"
    __table_args__ = (UniqueConstraint("company_id", "transfer_id"),)

    transfer_id: Mapped[str] = mapped_column(String(64))
    source_account_id: Mapped[str] = mapped_column(String(64))
    destination_account_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(16))
    amount: Mapped[str] = mapped_column(String(24))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    reference: Mapped[str | None] = mapped_column(String(64), default=None)
    description: Mapped[str | None] = mapped_column(String(255), default=None)


class TransferPaymentInfo(_PaymentRecord, Base):
    """The tokenized instrument a transfer between two accounts pays out to."""

    __tablename__ = "transfer_payment_infos"
    __table_args__ = (UniqueConstraint("company_id", "transfer_payment_info_id"),)

    transfer_payment_info_id: Mapped[str] = mapped_column(String(64))
    source_account_id: Mapped[str] = mapped_column(String(64))
    destination_account_id: Mapped[str] = mapped_column(String(64))
    payment_method: Mapped[str] = mapped_column(String(16))
    token: Mapped[str] = mapped_column(String(255))
    currency: Mapped[str] = mapped_column(String(3))
    beneficiary_name: Mapped[str | None] = mapped_column(String(255), default=None)
    bank_country: Mapped[str | None] = mapped_column(String(2), default=None)
