"""Idempotency keys: an upload retried with the same key answers as the first one did."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from loadbay.models.base import Base, utcnow


class IdempotencyKey(Base):
    """The first answer to an upload sent with ``Idempotency-Key``, per tenant and endpoint.

    The primary key makes two concurrent requests with one key write one row: the second waits
    for the first's transaction and then finds its answer.
    """

    __tablename__ = "idempotency_keys"

    tenant_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Which upload endpoint ("rostering", "files", "batches"): one key may serve each once.
    endpoint: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    # sha256 of the file and the options sent with it: the same key with another file is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
