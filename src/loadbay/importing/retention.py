"""Deleting an ended import's files: on request (``DELETE /api/v1/imports/{ref}``) or once
``LOADBAY_IMPORT_RETENTION_DAYS`` have passed since it ended.

The stored upload, the result file and the messages go; the import row stays with its counts
(``filesDeletedAt`` says when), and so do the rows it imported. Imports of payments batches keep
their company's own retention rule (loadbay.payments.retention). Workers run the sweep now and
then; several may run it at once, since deleting an object twice is harmless.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from loadbay.db import transaction
from loadbay.importing.messages import clear_messages
from loadbay.kit.storage import ObjectStorage
from loadbay.models import CANCELLED, FAILED, PROCESSED, ImportBatch, ImportJob, utcnow
from loadbay.runtime import Runtime

log = logging.getLogger("loadbay.importing")

ENDED = (PROCESSED, FAILED, CANCELLED)
# Imports handled per sweep; the next sweep takes the rest.
SWEEP_LIMIT = 500


def delete_files(session: Session, storage: ObjectStorage, *, job: ImportJob, now: datetime) -> None:
    """Delete the ended ``job``'s upload, result file and messages, in the caller's transaction
    (the objects first: the row is marked only once nothing of it is left in storage)."""
    for key in (job.object_key, job.result_key):
        if key:
            storage.delete(key)
    clear_messages(session, import_id=job.id)
    job.files_deleted_at = now
    job.result_key = None
    job.message_count = 0
    # A payments batch of this import reads Purged, as after its company's retention.
    session.execute(
        update(ImportBatch)
        .where(ImportBatch.import_id == job.id, ImportBatch.files_deleted_at.is_(None))
        .values(files_deleted_at=now)
    )
    session.flush()


def sweep_import_retention(runtime: Runtime, *, now: datetime | None = None) -> int:
    """Delete the files of every import that ended more than the retention period ago (none
    when ``import_retention_days`` is 0); returns how many imports were swept."""
    days = runtime.settings.import_retention_days
    if not days:
        return 0
    moment = now or utcnow()
    with transaction(runtime.sessions) as session:
        ids = session.scalars(
            select(ImportJob.id)
            .where(
                ImportJob.status.in_(ENDED),
                ImportJob.files_deleted_at.is_(None),
                ImportJob.finished_at <= moment - timedelta(days=days),
                ~exists(select(ImportBatch.id).where(ImportBatch.import_id == ImportJob.id)),
            )
            .limit(SWEEP_LIMIT)
        ).all()
    swept = 0
    for import_id in ids:
        with transaction(runtime.write_sessions) as session:
            job = session.get(ImportJob, import_id)
            if job is not None and job.files_deleted_at is None:
                delete_files(session, runtime.storage, job=job, now=moment)
                swept += 1
    if swept:
        log.info("retention: deleted the files of %d import(s) older than %d days", swept, days)
    return swept
