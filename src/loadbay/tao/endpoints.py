"""Seeds 000-002: ``POST /api/v1/upload``, status and download, under both documented spellings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from loadbay.auth.deps import RosteringClient
from loadbay.deps import DbSession, RuntimeDep, WriteSession
from loadbay.errors import ApiError
from loadbay.idempotency import service as idempotency
from loadbay.importing.objects import stored_key
from loadbay.importing.registry import all_types
from loadbay.importing.service import (
    REFERENCE_NOT_FOUND,
    FilesDeleted,
    create_import,
    ensure_result_file,
    files_deleted_message,
    get_tenant_import,
    new_reference_id,
    signed_result_url,
    status_payload,
)
from loadbay.importing.sync import parse_threshold, sync_options
from loadbay.importing.uploads import receive_csv_upload
from loadbay.limiting.uploads import admit
from loadbay.logs import annotate
from loadbay.metrics.families import UPLOAD_BYTES
from loadbay.models import PENDING, ImportJob
from loadbay.tao import options as upload_options

router = APIRouter(tags=["rostering"])

# dryRun's spellings, any case. Anything else (an HTML checkbox's "on") is refused: read as
# false it would run a real import of a file the client meant only to check.
_BOOLEAN = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False, "": False}


@router.post("/api/v1/upload")
async def upload(
    request: Request, client: RosteringClient, session: WriteSession, runtime: RuntimeDep
) -> Any:
    """Stream a CSV file (or a OneRoster 1.1 bundle, a zip) into storage and queue its import
    (seed 000).

    With an ``Idempotency-Key`` header, the same file sent again with the same key answers as
    the first upload did and starts nothing (see loadbay.idempotency).
    """
    # A name the upload does not know is refused before a byte of the body is stored.
    upload_options.check_query(request.query_params)
    idempotency_key = idempotency.request_key(request)
    await admit(runtime, client, endpoint="rostering", idempotency_key=idempotency_key)
    reference_id = new_reference_id()
    annotate(reference=reference_id)
    key = stored_key(reference_id, "pending")
    received = await receive_csv_upload(
        request,
        storage=runtime.storage,
        key=key,
        max_bytes=runtime.settings.max_upload_bytes,
        field_name=upload_options.FILE_FIELD,
        check_field=upload_options.check_field,
        bundles=runtime.settings,
    )
    try:
        # Each option a form field or a query parameter, whichever the client sent.
        option = upload_options.chosen(request.query_params, received.fields)
    except ApiError:
        runtime.storage.delete(key)
        raise

    on_error = option["onError"].lower() or "partial"
    if on_error not in ("partial", "abort"):
        runtime.storage.delete(key)
        raise ApiError(400, f"onError must be 'partial' (the default) or 'abort', not '{option['onError']}'.")
    dry_run = _BOOLEAN.get(option["dryRun"].lower())
    if dry_run is None:
        runtime.storage.delete(key)
        raise ApiError(
            400,
            f"dryRun must be one of true, false, 1, 0, yes, no (any case), not '{option['dryRun'][:32]}'.",
        )
    options: dict[str, object] = {"scope": "rostering", "dry_run": dry_run, "on_error": on_error}
    try:
        if received.bundle is not None:
            options |= _bundle_options(received.bundle, option)
        else:
            options |= sync_options(mode=option["mode"], change_threshold=option["changeThreshold"])
    except (ValueError, ApiError) as exc:
        runtime.storage.delete(key)
        raise exc if isinstance(exc, ApiError) else ApiError(400, str(exc)) from None
    if received.bundle is None and (import_type := option["importType"]):
        # The header must then fit this template; without it the header picks one.
        names = [t.name for t in all_types(scope="rostering")]
        if import_type not in names:
            runtime.storage.delete(key)
            raise ApiError(400, f"importType must be one of {', '.join(names)}, not '{import_type[:64]}'.")
        options["import_type"] = import_type

    def queue() -> dict[str, Any]:
        create_import(
            session,
            reference_id=reference_id,
            tenant_id=client.tenant_id,
            client_id=client.id,
            upload=received,
            options=options,
        )
        return {"result": {"message": f"File uploaded to {key}", "referenceId": reference_id}}

    try:
        # In one thread: between two threadpool calls the transaction would keep its
        # connection (and SQLite's write lock) while waiting for a thread of its own.
        body, replayed = await run_in_threadpool(
            lambda: idempotency.once(
                session,
                tenant_id=client.tenant_id,
                endpoint="rostering",
                key=idempotency_key,
                fingerprint=idempotency.fingerprint(received.sha256, options),
                write=queue,
            )
        )
    except Exception:
        # No row, no object: a refused upload leaves nothing behind.
        runtime.storage.delete(key)
        raise
    if replayed:
        # The first upload's answer: this request's copy of the file is not needed.
        runtime.storage.delete(key)
        return JSONResponse(body, headers=idempotency.REPLAYED)
    UPLOAD_BYTES.labels("rostering").inc(received.size)
    runtime.wakeup.set()
    return body


def _bundle_options(bundle: str, option: dict[str, str]) -> dict[str, object]:
    """A bundle's manifest names each file's type and whether it is bulk (the whole truth, with
    the full-sync rule and its changeThreshold) or delta: importType and mode do not apply."""
    if option["importType"]:
        raise ApiError(400, "importType does not apply to a bundle: its manifest.csv names each file's type.")
    if option["mode"]:
        raise ApiError(
            400,
            "mode does not apply to a bundle: its manifest.csv declares each file bulk (the whole truth, "
            "synced with changeThreshold) or delta.",
        )
    return {"bundle": bundle, "change_threshold": parse_threshold(option["changeThreshold"])}


def _find(session: Session, client: RosteringClient, reference_id: str) -> ImportJob:
    annotate(reference=reference_id[:64])
    job = get_tenant_import(session, tenant_id=client.tenant_id, reference_id=reference_id)
    if job is None:
        raise ApiError(404, REFERENCE_NOT_FOUND)
    return job


@router.get("/api/v1/status/{reference_id}")
@router.get("/api/v1/upload/api/v1/status/{reference_id}", include_in_schema=False)
def status(reference_id: str, client: RosteringClient, session: DbSession) -> Any:
    """Where the import stands (seed 001)."""
    return {"result": status_payload(session, _find(session, client, reference_id))}


@router.get("/api/v1/download/{reference_id}")
@router.get("/api/v1/upload/api/v1/download/{reference_id}", include_in_schema=False)
def download(reference_id: str, client: RosteringClient, session: WriteSession, runtime: RuntimeDep) -> Any:
    """A time-limited signed URL to the per-row result file (seed 002)."""
    job = _find(session, client, reference_id)
    if job.status == PENDING:
        raise ApiError(
            409,
            "The import is still pending: poll the status endpoint until it reads processed or "
            "failed, then ask for the download again.",
        )
    try:
        key = ensure_result_file(session, runtime.storage, job)
    except FilesDeleted:
        raise ApiError(410, files_deleted_message(job)) from None
    ttl = runtime.settings.signed_url_ttl_seconds
    if key.endswith(".zip"):
        # A bundle's result: a zip, named after the upload (bundle-result.zip), which only a link
        # Loadbay serves can say; a CSV keeps the store's own link (a presigned S3 URL).
        url = signed_result_url(runtime.storage, job, key=key, ttl_seconds=ttl)
    else:
        url = runtime.storage.signed_url(key, ttl_seconds=ttl)
    return {"signedUrl": url, "expiresIn": ttl}
