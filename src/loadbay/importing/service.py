"""Imports as the dialects see them: accept one, find one for a tenant, report on it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from loadbay.importing.bundle import progress_view
from loadbay.importing.messages import first_messages
from loadbay.importing.objects import result_key, work_prefix
from loadbay.importing.results import ResultWriter
from loadbay.kit.storage import ObjectStorage
from loadbay.models import CANCELLED, FAILED, PENDING, ImportJob
from loadbay.models.base import iso_utc

# Seed 001's answer for an unknown reference id; also for another tenant's, which is as unknown.
REFERENCE_NOT_FOUND = "Reference ID not found. File not found in pending bucket."
# The status endpoint shows the first messages; the imports API pages through every one.
STATUS_MESSAGES = 1000


@dataclass
class ReceivedUpload:
    """An upload stored in object storage, as the dialect received it."""

    key: str
    filename: str | None
    size: int
    sha256: str
    fields: dict[str, str] = field(default_factory=dict)
    # Physical lines, header included: the total a progress bar counts towards (None: not counted).
    lines: int | None = None
    # A bundle (a zip of CSV files): its format's name (oneroster); None for a CSV file.
    bundle: str | None = None


def new_reference_id() -> str:
    return str(uuid.uuid4())


def create_import(
    session: Session,
    *,
    reference_id: str,
    tenant_id: int,
    client_id: int,
    upload: ReceivedUpload,
    options: dict[str, Any],
) -> ImportJob:
    """Record an accepted upload as a pending import: the row is the job workers claim."""
    job = ImportJob(
        id=reference_id,
        tenant_id=tenant_id,
        client_id=client_id,
        status=PENDING,
        original_filename=upload.filename,
        object_key=upload.key,
        size_bytes=upload.size,
        sha256=upload.sha256,
        total_lines=upload.lines,
        options=options,
    )
    session.add(job)
    session.flush()
    return job


def get_tenant_import(session: Session, *, tenant_id: int, reference_id: str) -> ImportJob | None:
    """The import, only if it belongs to ``tenant_id``: another tenant's id is as unknown as a typo."""
    try:
        uuid.UUID(reference_id)
    except ValueError:
        return None
    job = session.get(ImportJob, reference_id)
    if job is None or job.tenant_id != tenant_id:
        return None
    return job


def import_summary(job: ImportJob) -> dict[str, Any]:
    """What an import is and how far it got: one entry of the imports list."""
    options = job.options or {}
    return {
        "referenceId": job.id,
        "status": job.status,
        "importType": job.import_type,
        "fileName": job.original_filename,
        "sizeBytes": job.size_bytes,
        "fileLine": job.file_line,
        "totalLines": job.total_lines,
        "counts": {
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
            "failed": job.failed_count,
            "deactivated": job.deactivated_count,
            "removed": job.removed_count,
        },
        "messageCount": job.message_count,
        "dryRun": bool(options.get("dry_run")),
        "onError": options.get("on_error") or "partial",
        "mode": options.get("mode") or "merge",
        "changeThreshold": options.get("change_threshold"),
        "scope": job.scope,
        "attempts": job.attempts,
        "createdAt": iso_utc(job.created_at),
        "startedAt": iso_utc(job.started_at),
        "finishedAt": iso_utc(job.finished_at),
        "cancelRequestedAt": iso_utc(job.cancel_requested_at),
        "filesDeletedAt": iso_utc(job.files_deleted_at),
        # A bundle's files in import order, each with its status, lines and counts; null for a CSV.
        "files": progress_view(job.bundle),
    }


def status_payload(session: Session, job: ImportJob) -> dict[str, Any]:
    """Seed 001's ``status``, ``fileLine`` and ``messages``, then fields that help."""
    summary = import_summary(job)
    # The seed knows pending, processed and failed: a cancelled import reads failed there, and
    # its first message says why ("Import cancelled").
    status = FAILED if job.status == CANCELLED else job.status
    payload = {
        "status": status,
        "fileLine": job.file_line,
        "messages": first_messages(session, import_id=job.id, limit=STATUS_MESSAGES),
        **summary,
    }
    payload["status"] = status
    return payload


class FilesDeleted(Exception):
    """The import's files were deleted (on request, or past retention): nothing to download."""


def files_deleted_message(job: ImportJob) -> str:
    return (
        f"The result file of this import was deleted on {iso_utc(job.files_deleted_at)} "
        "(on request or past the retention period); its counts remain."
    )


def ensure_result_file(session: Session, storage: ObjectStorage, job: ImportJob) -> str:
    """The finished import's result file key; written from its messages if the worker never could.
    Raises FilesDeleted once its files are gone."""
    if job.files_deleted_at is not None:
        raise FilesDeleted(job.id)
    if job.result_key is not None:
        return job.result_key
    results = ResultWriter(storage, prefix=work_prefix(job.id, "late-result"), columns=[], secret=frozenset())
    for message in first_messages(session, import_id=job.id, limit=STATUS_MESSAGES):
        results.write(line=job.file_line, outcome="failed", key="", messages=[message], cells=[])
    results.flush(1)
    results.assemble(parts=1, key=result_key(job.id))
    storage.delete_prefix(work_prefix(job.id, "late-result/"))
    job.result_key = result_key(job.id)
    session.flush()
    return job.result_key


def signed_result_url(storage: ObjectStorage, job: ImportJob, *, key: str, ttl_seconds: int) -> str:
    """A time-limited link to the result file, downloading as ``<uploaded name>-result.csv``."""
    stem = (job.original_filename or job.id).removesuffix(".csv").removesuffix(".CSV")
    if key.endswith(".zip"):
        # A bundle's result: a zip of its files' result CSVs.
        stem = stem.removesuffix(".zip").removesuffix(".ZIP")
        return storage.signed_url(
            key, ttl_seconds=ttl_seconds, filename=f"{stem}-result.zip", content_type="application/zip"
        )
    return storage.signed_url(
        key, ttl_seconds=ttl_seconds, filename=f"{stem}-result.csv", content_type="text/csv; charset=utf-8"
    )
