"""Accounts, the clients granted to them, and the documents uploaded for them (seed 004)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from loadbay.models.base import Base, utcnow


class Account(Base):
    """Something of a tenant's that documents are filed under (a customer, a school, a merchant)."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    # Public and opaque ("acc_" + random hex): it travels in every request, so it must not be guessable.
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AccountGrant(Base):
    """An API client may upload to, and read the documents of, an account."""

    __tablename__ = "account_grants"
    __table_args__ = (UniqueConstraint("client_id", "account_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class StoredFile(Base):
    """One uploaded document. The object key is generated; the client's file name is metadata only."""

    __tablename__ = "files"
    __table_args__ = (
        # Listing an account's documents, newest first, optionally of one type.
        Index("ix_files_account_created", "account_id", "created_at", "id"),
        Index("ix_files_account_type_created", "account_id", "document_type", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"))
    document_type: Mapped[str | None] = mapped_column(String(32), default=None)
    original_filename: Mapped[str | None] = mapped_column(String(255), default=None)
    object_key: Mapped[str] = mapped_column(String(512))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    # The import this document was handed to (``importType``); the import keeps its own copy.
    import_id: Mapped[str | None] = mapped_column(ForeignKey("imports.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
