"""The import row: what was uploaded, and the job that imports it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from loadbay.models.base import Base, utcnow

PENDING = "pending"
PROCESSED = "processed"
FAILED = "failed"
# Stopped on request: a pending import never started, or a running one at a batch boundary.
CANCELLED = "cancelled"
# The scope of an import whose options name none: the seeds' upload endpoint is rostering's.
DEFAULT_SCOPE = "rostering"


class ImportJob(Base):
    """One accepted upload. The row is also the job: workers claim and lease it."""

    __tablename__ = "imports"
    __table_args__ = (
        Index("ix_imports_claim", "status", "lease_expires_at"),
        Index("ix_imports_tenant_created", "tenant_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"))
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    import_type: Mapped[str | None] = mapped_column(String(64), default=None)
    original_filename: Mapped[str | None] = mapped_column(String(255), default=None)
    object_key: Mapped[str] = mapped_column(String(512))
    result_key: Mapped[str | None] = mapped_column(String(512), default=None)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    file_line: Mapped[int] = mapped_column(Integer, default=0)
    total_lines: Mapped[int | None] = mapped_column(Integer, default=None)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    unchanged_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    # mode=sync: the tenant's rows of the template the file did not mention, deactivated
    # (users, groups, organizations) or removed (links, sessions).
    deactivated_count: Mapped[int] = mapped_column(Integer, default=0)
    removed_count: Mapped[int] = mapped_column(Integer, default=0)
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    # Batches committed so far; a worker that takes the job over resumes after them.
    checkpoint_batches: Mapped[int] = mapped_column(Integer, default=0)

    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(128), default=None)
    # Epoch seconds: compares the same way on every database, with no time zone to get wrong.
    lease_expires_at: Mapped[float | None] = mapped_column(Float, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    # Set by a cancel while a worker runs the import; the worker stops at its next checkpoint.
    cancel_requested_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    # mode=sync: when the sync step committed, so a run taken over after a crash does not redo it.
    synced_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    # Set once the stored upload, the result file and the messages are deleted (on request or by
    # the retention sweep); the row keeps its counts, and the imported rows stay.
    files_deleted_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    # A bundle (a OneRoster zip): its files' progress as JSON, per file in import order
    # (importing/bundle.py); null for a single CSV file.
    bundle: Mapped[str | None] = mapped_column(Text, default=None)

    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)

    @property
    def scope(self) -> str:
        """The scope a client must hold to see this import (rostering for the seeds' upload)."""
        return str((self.options or {}).get("scope", DEFAULT_SCOPE))


class ImportMessage(Base):
    """One message about an import, in file order: line, column, code, severity, text.

    Written in the same transaction as the batch it is about, so a resumed import neither
    loses nor repeats one. The dialects render them (the seed's ``Line N: column: text``).
    """

    __tablename__ = "import_messages"

    import_id: Mapped[str] = mapped_column(ForeignKey("imports.id", ondelete="CASCADE"), primary_key=True)
    # 1, 2, ... in the order the messages were found; 0 for a notice about the whole import.
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    line: Mapped[int | None] = mapped_column(Integer, default=None)
    # The file of a bundle the line is in (users.csv); null for a single file.
    file: Mapped[str | None] = mapped_column(String(255), default=None)
    column: Mapped[str | None] = mapped_column(String(255), default=None)
    # A stable name for the kind of problem (importing.messages.CODES).
    code: Mapped[str] = mapped_column(String(32))
    # error: the row was not written; warning: it was, and the message says what was assumed.
    severity: Mapped[str] = mapped_column(String(8))
    message: Mapped[str] = mapped_column(Text)
