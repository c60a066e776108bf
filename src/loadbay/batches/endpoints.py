"""Seed 003: import batches, their file, their entries (GetImportEntries) and their result file.

A thin dialect over the core: uploads go through ``receive_csv_upload``, imports are ordinary
import jobs with the batch's type forced, and the entries are the core's result file.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from loadbay.auth.deps import AuthClient, require_scope
from loadbay.batches.entries import read_entries, total_entries
from loadbay.batches.responses import CommandRoute, command_response, field_value, query_value
from loadbay.deps import DbSession, RuntimeDep, WriteSession
from loadbay.errors import ApiError
from loadbay.idempotency import service as idempotency
from loadbay.importing.csvtext import FileRejected
from loadbay.importing.objects import stored_key
from loadbay.importing.read import open_stored
from loadbay.importing.registry import describe_types, get_type
from loadbay.importing.service import ReceivedUpload, create_import, ensure_result_file, new_reference_id
from loadbay.importing.uploads import receive_csv_upload
from loadbay.kit.pagination import is_whole_number
from loadbay.kit.storage import ObjectStorage, StorageError
from loadbay.limiting.uploads import admit
from loadbay.metrics.families import UPLOAD_BYTES
from loadbay.models import PENDING, Company, ImportBatch, ImportJob
from loadbay.payments.batches import (
    FINAL_STATES,
    PURGED,
    attach_file,
    batch_payload,
    batch_state,
    create_batch,
    get_tenant_batch,
    progress_payload,
)
from loadbay.payments.companies import (
    get_company_project,
    get_tenant_company,
    list_tenant_companies,
    parse_guid,
)
from loadbay.payments.types import SCOPE, TYPE_NAMES

router = APIRouter(tags=["import batches"], route_class=CommandRoute)

PaymentsClient = Annotated[AuthClient, Depends(require_scope(SCOPE))]

BATCH_NOT_FOUND = "Import batch not found: check the BatchId."
COMPANY_NOT_FOUND = (
    "Company not found: check the CompanyId; a client acts only for its own tenant's companies."
)
PROJECT_NOT_FOUND = (
    "Company project not found: check the CompanyProjectId; it must be a project of the company."
)
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


def _import_type(value: object) -> str:
    text = str(value or "").strip()
    if not text:
        raise ApiError(400, f"Type is required: one of {', '.join(TYPE_NAMES)}.")
    for name in TYPE_NAMES:
        if name.lower() == text.lower():
            return name
    raise ApiError(400, f"Type '{text}' is not an import type: use one of {', '.join(TYPE_NAMES)}.")


def _guid(value: object, name: str) -> str:
    text = str(value or "").strip()
    if not text:
        raise ApiError(400, f"{name} is required.")
    guid = parse_guid(text)
    if guid is None:
        raise ApiError(
            400, f"{name} '{text[:64]}' is not a GUID such as 9ef15c43-a955-4f4b-87e3-1b6d4f0e3a9c."
        )
    return guid


def _job(session: Session, batch: ImportBatch) -> ImportJob | None:
    return session.get(ImportJob, batch.import_id) if batch.import_id else None


def _batch(session: Session, client: AuthClient, batch_id: str | None) -> ImportBatch:
    guid = _guid(batch_id, "BatchId")
    batch = get_tenant_batch(session, tenant_id=client.tenant_id, batch_id=guid)
    if batch is None:
        raise ApiError(404, BATCH_NOT_FOUND)
    return batch


def _company(session: Session, batch: ImportBatch) -> Company:
    company = session.get(Company, batch.company_id)
    assert company is not None  # a foreign key
    return company


# -- companies -----------------------------------------------------------------------


@router.get("/api/adm/companies")
def companies(client: PaymentsClient, session: DbSession) -> JSONResponse:
    """The tenant's companies and their projects: what a batch may be staged for.

    Not in seed 003, where integrators know their ids; the console and the CLI offer them by name.
    """
    data = [
        {
            "companyId": company.id,
            "name": company.name,
            "retentionDays": company.retention_days,
            "projects": [{"companyProjectId": p.id, "name": p.name} for p in projects],
        }
        for company, projects in list_tenant_companies(session, tenant_id=client.tenant_id)
    ]
    return command_response(extra={"data": data})


# -- batches -------------------------------------------------------------------------


@router.post("/api/adm/import/batches")
@router.post("/api/admin/importBatches", include_in_schema=False)
async def create(request: Request, client: PaymentsClient, session: WriteSession) -> JSONResponse:
    """Stage a batch for a company's project: ``{"CompanyId", "CompanyProjectId", "Type"}``."""
    try:
        body = await request.json()
    except (ValueError, RecursionError):  # not JSON; nested too deep ([[[[…)
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, 'Send a JSON object: {"CompanyId": ..., "CompanyProjectId": ..., "Type": ...}.')
    import_type = _import_type(field_value(body, "Type", "ImportType"))
    company_id = _guid(field_value(body, "CompanyId"), "CompanyId")
    project_id = _guid(field_value(body, "CompanyProjectId", "ProjectId"), "CompanyProjectId")

    def stage() -> str:
        company = get_tenant_company(session, tenant_id=client.tenant_id, company_id=company_id)
        if company is None:
            raise ApiError(404, COMPANY_NOT_FOUND)
        project = get_company_project(session, company_id=company.id, project_id=project_id)
        if project is None:
            raise ApiError(404, PROJECT_NOT_FOUND)
        batch = create_batch(
            session, client_id=client.id, company=company, project=project, import_type=import_type
        )
        return batch.id

    batch_id = await run_in_threadpool(stage)
    return command_response(extra={"batchId": batch_id})


@router.get("/api/adm/import/batches/{batch_id}")
@router.get("/api/admin/importBatches/{batch_id}", include_in_schema=False)
def show(batch_id: str, client: PaymentsClient, session: DbSession) -> JSONResponse:
    """The batch: its type, company, project, file, state, counts and retention."""
    batch = _batch(session, client, batch_id)
    return command_response(
        extra={"data": batch_payload(session, batch, _job(session, batch), _company(session, batch))}
    )


# -- the file --------------------------------------------------------------------------


def _check_matches(request: Request, batch: ImportBatch) -> None:
    """The query's CompanyId, CompanyProjectId and Type, when sent, must be the batch's own."""
    expected = {"CompanyId": batch.company_id, "CompanyProjectId": batch.project_id}
    for name, value in expected.items():
        sent = query_value(request, name)
        if sent and parse_guid(sent) != value:
            raise ApiError(400, f"{name} {sent[:64]} is not the batch's {name} ({value}).")
    sent_type = query_value(request, "Type") or query_value(request, "importType")
    if sent_type and sent_type.lower() != batch.import_type.lower():
        raise ApiError(400, f"Type {sent_type[:64]} is not the batch's type ({batch.import_type}).")


def _header_problem(storage: ObjectStorage, key: str, type_name: str) -> str | None:
    """Why the stored file's header does not fit the type; None when it does."""
    import_type = get_type(type_name)
    assert import_type is not None
    try:
        with storage.open(key) as binary:
            header = open_stored(binary).header.names
    except FileRejected as exc:
        return f"Invalid CSV: {exc}"
    problems = import_type.header_problems(header)
    canonical = [import_type.canonical(name) or name for name in header]
    repeated = sorted({name for name in canonical if canonical.count(name) > 1})
    if repeated:
        problems.append(f"column(s) {', '.join(repeated)} appear more than once")
    if not problems:
        return None
    return (
        f"The header does not fit {type_name}: {'; '.join(problems)}. "
        f"Expected columns (* = mandatory): {describe_types(names=[type_name])}"
    )


async def _receive(request: Request, runtime: Any, key: str) -> ReceivedUpload:
    try:
        return await receive_csv_upload(
            request, storage=runtime.storage, key=key, max_bytes=runtime.settings.batches_max_upload_bytes
        )
    except ApiError as exc:
        # The seed answers an oversized file with 400, not the core's 413.
        if exc.status_code == 413:
            raise ApiError(400, exc.message) from None
        raise


def _already_has(batch: ImportBatch, received: ReceivedUpload) -> JSONResponse:
    if batch.sha256 == received.sha256:
        # The same file again (a retry): recognised, and not imported twice.
        return command_response(headers={"Loadbay-Upload": "duplicate"})
    raise ApiError(
        400,
        f"Batch {batch.id} already has a file ({batch.original_filename or 'unnamed'}, sha256 "
        f"{batch.sha256}); a batch takes one file. Create a new batch for this one.",
    )


@router.post("/api/adm/import/file")
@router.post("/api/admin/importBatches/file", include_in_schema=False)
async def upload_file(
    request: Request, client: PaymentsClient, session: WriteSession, runtime: RuntimeDep
) -> JSONResponse:
    """Multipart ``file`` for ``?BatchId=``: checked, stored, and queued for import."""

    def find_batch() -> ImportBatch:
        batch = _batch(session, client, query_value(request, "BatchId"))
        # End the read: the body streams next, with no connection held.
        session.commit()
        return batch

    idempotency_key = idempotency.request_key(request)
    await admit(runtime, client, endpoint="batches", idempotency_key=idempotency_key)
    batch = await run_in_threadpool(find_batch)
    _check_matches(request, batch)
    import_id = new_reference_id()
    key = stored_key(import_id, "pending")
    received = await _receive(request, runtime, key)
    try:
        if batch.import_id is not None and idempotency_key is None:
            runtime.storage.delete(key)
            return _already_has(batch, received)
        problem = await run_in_threadpool(_header_problem, runtime.storage, key, batch.import_type)
        if problem:
            raise ApiError(400, problem)

        # A batch takes one file, so a retry is recognised without a key; a key adds the
        # draft's rule: the same key with another file is refused by name.
        payload_print = idempotency.fingerprint(received.sha256, {"BatchId": batch.id})

        def replayed() -> bool:
            if idempotency_key is None:
                return False
            first = idempotency.replay(
                session,
                tenant_id=client.tenant_id,
                endpoint="batches",
                key=idempotency_key,
                fingerprint=payload_print,
            )
            return first is not None

        def queue() -> ImportBatch | bool | None:
            """None: queued. True: the key's first upload answered before. A batch: another
            upload for it won the race. In one thread call (see the rostering upload)."""
            if replayed():
                session.commit()
                return True
            create_import(
                session,
                reference_id=import_id,
                tenant_id=client.tenant_id,
                client_id=client.id,
                upload=received,
                options={"scope": SCOPE, "import_type": batch.import_type, "on_error": "partial"},
            )
            if attach_file(session, batch_id=batch.id, import_id=import_id, upload=received):
                if idempotency_key is not None:
                    try:
                        idempotency.remember(
                            session,
                            tenant_id=client.tenant_id,
                            endpoint="batches",
                            key=idempotency_key,
                            fingerprint=payload_print,
                            status_code=200,
                            body={"batchId": batch.id},
                        )
                    except IntegrityError:
                        # The same key came with another request that committed first: its
                        # answer (or a 422 when that was another batch or file).
                        session.rollback()
                        if replayed():
                            session.commit()
                            return True
                        raise
                session.commit()
                return None
            # Another upload for this batch won the race: answer as if it had come first.
            session.rollback()
            return get_tenant_batch(session, tenant_id=client.tenant_id, batch_id=batch.id)

        winner = await run_in_threadpool(queue)
        if winner is True:
            runtime.storage.delete(key)
            return command_response(headers={"Loadbay-Upload": "duplicate", **idempotency.REPLAYED})
    except BaseException:
        # No row, no object: a refused upload leaves nothing behind.
        runtime.storage.delete(key)
        raise
    if isinstance(winner, ImportBatch):
        runtime.storage.delete(key)
        return _already_has(winner, received)
    UPLOAD_BYTES.labels("batches").inc(received.size)
    runtime.wakeup.set()
    return command_response(headers={"Loadbay-Upload": "accepted"})


# -- entries and result ----------------------------------------------------------------


def _positive(request: Request, names: tuple[str, ...], default: int, maximum: int | None = None) -> int:
    for name in names:
        raw = query_value(request, name)
        if raw:
            if not is_whole_number(raw) or int(raw) < 1:
                raise ApiError(400, f"{name} must be a whole number of 1 or more, not '{raw[:32]}'.")
            value = int(raw)
            if maximum is not None and value > maximum:
                raise ApiError(400, f"{name} must be at most {maximum}.")
            return value
    return default


@router.get("/api/adm/import/entries")
@router.get("/api/admin/importBatches/entries", include_in_schema=False)
def entries(
    request: Request, client: PaymentsClient, session: DbSession, runtime: RuntimeDep
) -> JSONResponse:
    """GetImportEntries: the batch's state, then its entries, a page at a time, in file order."""
    batch = _batch(session, client, query_value(request, "BatchId"))
    page = _positive(request, ("page", "pageNumber"), 1)
    size = _positive(request, ("pageSize",), DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    job = _job(session, batch)
    rows: list[dict[str, object]] = []
    total = 0
    if job is not None and batch_state(batch, job) != PURGED:
        try:
            total = total_entries(runtime.storage, job)
            rows = read_entries(runtime.storage, job, offset=(page - 1) * size, limit=size)
        except StorageError:
            # The import finished while its parts were being read: read the result file.
            session.refresh(job)
            try:
                total = total_entries(runtime.storage, job)
                rows = read_entries(runtime.storage, job, offset=(page - 1) * size, limit=size)
            except StorageError:
                if job.result_key is None or runtime.storage.exists(job.result_key):
                    raise
                # The retention sweep deletes the files first and marks the batch purged after:
                # in between there are no entries left to show, which is no storage failure.
                total, rows = 0, []
    data = {
        **progress_payload(batch, job),
        "page": page,
        "pageSize": size,
        "totalEntries": total,
        "totalPages": (total + size - 1) // size,
        "entries": rows,
    }
    return command_response(extra={"data": data})


@router.get("/api/adm/import/batches/{batch_id}/result")
@router.get("/api/adm/import/result", include_in_schema=False)
@router.get("/api/admin/importBatches/result", include_in_schema=False)
def result(
    request: Request,
    client: PaymentsClient,
    session: WriteSession,
    runtime: RuntimeDep,
    batch_id: str | None = None,
) -> JSONResponse:
    """A time-limited signed URL to the batch's result file, once its import has finished."""
    batch = _batch(session, client, batch_id or query_value(request, "BatchId"))
    job = _job(session, batch)
    state = batch_state(batch, job)
    if job is None:
        raise ApiError(409, f"Batch {batch.id} has no file yet: upload one with POST /api/adm/import/file.")
    if batch.files_deleted_at is not None:
        raise ApiError(
            410,
            f"The files of batch {batch.id} were deleted on {batch.files_deleted_at:%Y-%m-%d}, after the "
            "company's retention period; counts and messages remain on the batch.",
        )
    if state not in FINAL_STATES or job.status == PENDING:
        raise ApiError(
            409,
            f"Batch {batch.id} is still {state}: poll GET /api/adm/import/entries until "
            "processingComplete is true, then ask for the result again.",
        )
    key = ensure_result_file(session, runtime.storage, job)
    ttl = runtime.settings.signed_url_ttl_seconds
    return command_response(
        extra={"data": {"signedUrl": runtime.storage.signed_url(key, ttl_seconds=ttl), "expiresIn": ttl}}
    )
