"""Retention: a company's uploaded files and result files are deleted once its retention period
has passed since their import ended. The batch keeps its counts and messages and reads ``Purged``.

Workers run the sweep periodically; several may run it at once, since deleting an object twice
is harmless and marking a batch is a conditional UPDATE.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from loadbay.db import transaction
from loadbay.models import CANCELLED, FAILED, PROCESSED, Company, ImportBatch, ImportJob, utcnow
from loadbay.runtime import Runtime

log = logging.getLogger("loadbay.payments")

# Batches handled per sweep; the next sweep takes the rest.
SWEEP_LIMIT = 500


def find_expired(session: Session, *, now: datetime, limit: int = SWEEP_LIMIT) -> list[tuple[str, list[str]]]:
    """Batches whose files are past their company's retention: (batch id, object keys to delete)."""
    found: list[tuple[str, list[str]]] = []
    # One query per distinct retention period (there are few), each with a plain cut-off time.
    periods = session.scalars(select(Company.retention_days).distinct()).all()
    for days in periods:
        rows = session.execute(
            select(ImportBatch.id, ImportJob.object_key, ImportJob.result_key)
            .join(ImportJob, ImportJob.id == ImportBatch.import_id)
            .join(Company, Company.id == ImportBatch.company_id)
            .where(
                Company.retention_days == days,
                ImportBatch.files_deleted_at.is_(None),
                ImportJob.status.in_((PROCESSED, FAILED, CANCELLED)),
                ImportJob.finished_at <= now - timedelta(days=days),
            )
            .limit(limit - len(found))
        ).all()
        found.extend(
            (batch_id, [k for k in (object_key, result_key) if k])
            for batch_id, object_key, result_key in rows
        )
        if len(found) >= limit:
            break
    return found


def mark_files_deleted(session: Session, *, batch_id: str, now: datetime) -> bool:
    result = session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch_id, ImportBatch.files_deleted_at.is_(None))
        .values(files_deleted_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def sweep_retention(runtime: Runtime, *, now: datetime | None = None) -> int:
    """Delete the files of every batch past retention; returns how many batches were purged."""
    moment = now or utcnow()
    with transaction(runtime.sessions) as session:
        expired = find_expired(session, now=moment)
    purged = 0
    for batch_id, keys in expired:
        # Files first: a batch is marked only once nothing of it is left in storage.
        for key in keys:
            runtime.storage.delete(key)
        with transaction(runtime.write_sessions) as session:
            purged += mark_files_deleted(session, batch_id=batch_id, now=moment)
    if purged:
        log.info("retention: deleted the files of %d import batch(es)", purged)
    return purged
