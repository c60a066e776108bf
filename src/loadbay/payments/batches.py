"""Import batches: staged by a client for a company's project, given one file, imported by the core."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from loadbay.importing.messages import first_messages
from loadbay.importing.service import ReceivedUpload
from loadbay.models import PENDING, PROCESSED, Company, CompanyProject, ImportBatch, ImportJob, utcnow
from loadbay.payments.companies import parse_guid

CREATED = "Created"
QUEUED = "Queued"
PROCESSING = "Processing"
COMPLETED = "Completed"
FAILED = "Failed"
PURGED = "Purged"
FINAL_STATES = frozenset({COMPLETED, FAILED, PURGED})
# The status endpoint's cap, as in the core: the result file has every message.
MAX_MESSAGES = 100


def create_batch(
    session: Session, *, client_id: int, company: Company, project: CompanyProject, import_type: str
) -> ImportBatch:
    batch = ImportBatch(
        id=str(uuid.uuid4()),
        tenant_id=company.tenant_id,
        company_id=company.id,
        project_id=project.id,
        client_id=client_id,
        import_type=import_type,
    )
    session.add(batch)
    session.flush()
    return batch


def get_tenant_batch(session: Session, *, tenant_id: int, batch_id: str) -> ImportBatch | None:
    """The batch, only if it is the tenant's: another tenant's is as unknown as a typo."""
    guid = parse_guid(batch_id)
    batch = session.get(ImportBatch, guid) if guid else None
    if batch is None or batch.tenant_id != tenant_id:
        return None
    return batch


def attach_file(session: Session, *, batch_id: str, import_id: str, upload: ReceivedUpload) -> bool:
    """Give the batch its file, unless another upload was first; False when one was.

    One conditional UPDATE, so two uploads racing for the same batch cannot both win.
    """
    result = session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch_id, ImportBatch.import_id.is_(None))
        .values(
            import_id=import_id,
            sha256=upload.sha256,
            original_filename=upload.filename,
            size_bytes=upload.size,
            uploaded_at=utcnow(),
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def batch_state(batch: ImportBatch, job: ImportJob | None) -> str:
    if batch.files_deleted_at is not None:
        return PURGED
    if job is None:
        return CREATED
    if job.status == PENDING:
        return QUEUED if job.started_at is None else PROCESSING
    return COMPLETED if job.status == PROCESSED else FAILED


def delete_files_after(batch: ImportBatch, job: ImportJob | None, company: Company) -> datetime | None:
    """When the retention sweep deletes the batch's files: its retention period after the import ended."""
    if job is None or job.finished_at is None:
        return None
    return job.finished_at + timedelta(days=company.retention_days)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value is not None else None


def progress_payload(batch: ImportBatch, job: ImportJob | None) -> dict[str, Any]:
    """Where the batch's import stands: what a client polls until ``processingComplete``."""
    state = batch_state(batch, job)
    return {
        "batchId": batch.id,
        # The import's id in GET /api/v1/imports/{referenceId}: null until a file is uploaded.
        "referenceId": batch.import_id,
        "state": state,
        "processingComplete": state in FINAL_STATES,
        "fileLine": job.file_line if job else 0,
        "totalLines": job.total_lines if job else None,
        "counts": {
            "created": job.created_count if job else 0,
            "updated": job.updated_count if job else 0,
            "unchanged": job.unchanged_count if job else 0,
            "failed": job.failed_count if job else 0,
        },
    }


def batch_payload(
    session: Session, batch: ImportBatch, job: ImportJob | None, company: Company
) -> dict[str, Any]:
    messages = first_messages(session, import_id=job.id, limit=MAX_MESSAGES) if job else []
    return {
        **progress_payload(batch, job),
        "companyId": batch.company_id,
        "companyProjectId": batch.project_id,
        "type": batch.import_type,
        "fileName": batch.original_filename,
        "fileSize": batch.size_bytes,
        "fileSha256": batch.sha256,
        "messages": messages,
        "messageCount": job.message_count if job else 0,
        "createdAt": _iso(batch.created_at),
        "uploadedAt": _iso(batch.uploaded_at),
        "startedAt": _iso(job.started_at if job else None),
        "finishedAt": _iso(job.finished_at if job else None),
        "retentionDays": company.retention_days,
        "filesDeleteAfter": _iso(delete_files_after(batch, job, company)),
        "filesDeletedAt": _iso(batch.files_deleted_at),
    }
