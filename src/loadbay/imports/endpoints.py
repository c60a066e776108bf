"""GET /api/v1/imports, /api/v1/imports/{ref} and its result: what the console and CLI read."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from loadbay.auth.deps import AnyClient, AuthClient
from loadbay.deps import DbSession, RuntimeDep, WriteSession
from loadbay.errors import ApiError
from loadbay.importing.messages import ERROR, WARNING, first_messages, message_page, record
from loadbay.importing.registry import get_type
from loadbay.importing.retention import delete_files
from loadbay.importing.service import (
    REFERENCE_NOT_FOUND,
    STATUS_MESSAGES,
    FilesDeleted,
    ensure_result_file,
    files_deleted_message,
    import_summary,
    signed_result_url,
)
from loadbay.imports.service import STATUSES, ImportEnded, cancel_import, get_visible_import, list_imports
from loadbay.kit.pagination import BadCursor, decode_cursor, encode_cursor, is_whole_number
from loadbay.logs import annotate
from loadbay.models import PENDING, ImportJob, utcnow

router = APIRouter(tags=["imports"])

BAD_CURSOR = "cursor is not one this API handed out; start again without it."


def _limit(request: Request, *, default: int, maximum: int) -> int:
    raw = request.query_params.get("limit", "")
    if not raw:
        return default
    if not is_whole_number(raw) or not 1 <= int(raw) <= maximum:
        raise ApiError(400, f"limit must be a whole number from 1 to {maximum}, not '{raw[:32]}'.")
    return int(raw)


def _find(session: Session, client: AuthClient, reference_id: str) -> ImportJob:
    annotate(reference=reference_id[:64])
    job = get_visible_import(
        session, tenant_id=client.tenant_id, scopes=client.scopes, reference_id=reference_id
    )
    if job is None:
        # The same answer for a typo, another tenant's import and a scope the client lacks.
        raise ApiError(404, REFERENCE_NOT_FOUND)
    return job


SEVERITIES = (ERROR, WARNING)


@router.get("/api/v1/limits")
def limits(runtime: RuntimeDep) -> Any:
    """How large an upload may be, per API, so a client can refuse a file before sending it. Public."""
    settings = runtime.settings
    return {
        "maxUploadBytes": settings.max_upload_bytes,
        "batchesMaxUploadBytes": settings.batches_max_upload_bytes,
        "filesMaxUploadBytes": settings.files_max_upload_bytes,
    }


@router.get("/api/v1/imports")
def imports(request: Request, client: AnyClient, session: DbSession) -> Any:
    """The tenant's imports in the client's scopes, newest first, a page at a time."""
    status = request.query_params.get("status") or None
    if status is not None and status not in STATUSES:
        raise ApiError(400, f"status must be one of {', '.join(STATUSES)}, not '{status[:32]}'.")
    import_type = request.query_params.get("type") or None
    if import_type is not None and get_type(import_type) is None:
        raise ApiError(400, f"type '{import_type[:64]}' is no import type; GET /api/v1/templates lists them.")
    try:
        page = list_imports(
            session,
            tenant_id=client.tenant_id,
            scopes=client.scopes,
            status=status,
            import_type=import_type,
            limit=_limit(request, default=50, maximum=200),
            cursor=request.query_params.get("cursor") or None,
        )
    except BadCursor:
        raise ApiError(400, BAD_CURSOR) from None
    return {"items": [import_summary(job) for job in page.jobs], "nextCursor": page.next_cursor}


@router.get("/api/v1/imports/{reference_id}")
def show(reference_id: str, request: Request, client: AnyClient, session: DbSession) -> Any:
    """One import: its summary, its first messages as the status endpoint shows them, and a page
    of every message split into line, column and text."""
    job = _find(session, client, reference_id)
    try:
        start = decode_cursor(request.query_params.get("cursor"))
    except BadCursor:
        raise ApiError(400, BAD_CURSOR) from None
    severity = request.query_params.get("severity") or None
    if severity is not None and severity not in SEVERITIES:
        raise ApiError(400, f"severity must be one of {', '.join(SEVERITIES)}, not '{severity[:32]}'.")
    found, next_start = message_page(
        session,
        import_id=job.id,
        start=start,
        limit=_limit(request, default=100, maximum=500),
        severity=severity,
    )
    return {
        **import_summary(job),
        "messages": first_messages(session, import_id=job.id, limit=STATUS_MESSAGES),
        "messagePage": {
            "items": [record(m) for m in found],
            "nextCursor": encode_cursor(next_start) if next_start is not None else None,
        },
    }


@router.get("/api/v1/imports/{reference_id}/download")
def download(reference_id: str, client: AnyClient, session: WriteSession, runtime: RuntimeDep) -> Any:
    """A time-limited signed URL to the result file, named after the uploaded file."""
    job = _find(session, client, reference_id)
    if job.status == PENDING:
        raise ApiError(
            409,
            f"The import is still pending: poll GET /api/v1/imports/{job.id} until its status is "
            "processed or failed, then ask for the result again.",
        )
    try:
        key = ensure_result_file(session, runtime.storage, job)
    except FilesDeleted:
        raise ApiError(410, files_deleted_message(job)) from None
    ttl = runtime.settings.signed_url_ttl_seconds
    url = signed_result_url(runtime.storage, job, key=key, ttl_seconds=ttl)
    return {"signedUrl": url, "expiresIn": ttl}


@router.post("/api/v1/imports/{reference_id}/cancel")
def cancel(reference_id: str, client: AnyClient, session: WriteSession, runtime: RuntimeDep) -> Any:
    """Cancel an import: one that has not started never will (200, status ``cancelled``); a
    running one stops at its next batch boundary and keeps the rows it committed (202, status
    still ``pending`` until then, with ``cancelRequestedAt``)."""
    job = _find(session, client, reference_id)
    upload = job.object_key
    try:
        at_once = cancel_import(session, job=job)
    except ImportEnded as ended:
        raise ApiError(
            409, f"The import has ended ({ended}); only a pending import can be cancelled."
        ) from None
    body = import_summary(job)
    if not at_once:
        return JSONResponse(body, status_code=202)
    session.commit()
    # Never read, and never redacted: an upload nobody will import is not kept (it may hold
    # clear passwords). A crash before this delete leaves it to the orphan sweep.
    runtime.storage.delete(upload)
    return body


@router.delete("/api/v1/imports/{reference_id}")
def delete(reference_id: str, client: AnyClient, session: WriteSession, runtime: RuntimeDep) -> Any:
    """Delete an ended import's stored upload, result file and messages; the rows it imported
    and its counts stay. Deleting again changes nothing."""
    job = _find(session, client, reference_id)
    if job.status == PENDING:
        raise ApiError(
            409,
            f"The import is still pending: cancel it first (POST /api/v1/imports/{job.id}/cancel), "
            "then delete it once it has ended.",
        )
    if job.files_deleted_at is None:
        delete_files(session, runtime.storage, job=job, now=utcnow())
    return import_summary(job)
