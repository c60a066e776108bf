"""May this client upload now? Checked before the body streams, so a refusal costs nothing.

Three limits, each a setting: uploads per client per minute (429), imports of the tenant still
pending (429: the queue drains, then uploads go through again), and bytes of uploads the tenant
keeps stored (413: deleting old imports' files, or a retention period, makes room).
"""

from __future__ import annotations

from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from loadbay.auth.deps import AuthClient
from loadbay.errors import ApiError
from loadbay.idempotency.service import is_known
from loadbay.limiting.service import per_minute
from loadbay.models import PENDING, ImportJob, StoredFile
from loadbay.runtime import Runtime

# How soon to try again when the tenant's queue is full: about one import's time.
PENDING_RETRY_AFTER = 30


def admit_upload(
    runtime: Runtime,
    *,
    tenant_id: int,
    client_id: int,
    endpoint: str,
    idempotency_key: str | None,
) -> None:
    """Raise ApiError (429 or 413, with Retry-After when waiting helps) unless an upload may start.

    A retry with an ``Idempotency-Key`` already answered is let through: it starts nothing and
    gets the first answer back, which a client whose first answer was lost needs most.
    Runs in a thread of its own with a short session of its own: the request's session holds
    no connection while the body streams.
    """
    settings = runtime.settings
    if idempotency_key is not None:
        with runtime.sessions() as session:
            if is_known(session, tenant_id=tenant_id, endpoint=endpoint, key=idempotency_key):
                return
    refused = runtime.limiter.hit(per_minute(settings.uploads_per_minute), "uploads", str(client_id))
    if refused is not None:
        raise ApiError(
            429,
            f"Too many uploads: this client may send {settings.uploads_per_minute} a minute; "
            f"retry in {refused.retry_after} s.",
            headers={"Retry-After": str(refused.retry_after)},
        )
    with runtime.sessions() as session:
        pending, imports_bytes = session.execute(
            select(
                func.count().filter(ImportJob.status == PENDING),
                func.coalesce(func.sum(ImportJob.size_bytes).filter(ImportJob.files_deleted_at.is_(None)), 0),
            ).where(ImportJob.tenant_id == tenant_id)
        ).one()
        # Documents of the files API count too; one handed to the importer is counted once.
        documents_bytes = session.scalar(
            select(func.coalesce(func.sum(StoredFile.size_bytes), 0)).where(
                StoredFile.tenant_id == tenant_id, StoredFile.import_id.is_(None)
            )
        )
    stored = int(imports_bytes) + int(documents_bytes or 0)
    if pending >= settings.tenant_max_pending_imports:
        raise ApiError(
            429,
            f"{pending} imports of this tenant are waiting to run, the most allowed "
            f"({settings.tenant_max_pending_imports}); retry once some have finished.",
            headers={"Retry-After": str(PENDING_RETRY_AFTER)},
        )
    quota = settings.tenant_max_stored_bytes
    if quota and stored >= quota:
        raise ApiError(
            413,
            f"This tenant keeps {stored} bytes of uploads stored, its quota is {quota}: delete the "
            "files of imports or documents it no longer needs (DELETE /api/v1/imports/{referenceId}), "
            "then upload again.",
        )


async def admit(runtime: Runtime, client: AuthClient, *, endpoint: str, idempotency_key: str | None) -> None:
    """``admit_upload`` for an upload endpoint, in a thread of its own."""
    await run_in_threadpool(
        lambda: admit_upload(
            runtime,
            tenant_id=client.tenant_id,
            client_id=client.id,
            endpoint=endpoint,
            idempotency_key=idempotency_key,
        )
    )
