"""Seed 004: ``POST /files/v1/{clientId}/upload_files``, and reading an account's documents back."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from loadbay.auth.deps import AuthClient, require_scope
from loadbay.deps import DbSession, RuntimeDep, WriteSession
from loadbay.errors import ApiError
from loadbay.files.accounts import get_granted_account
from loadbay.files.imports import (
    blank_secret_columns,
    check_import_request,
    copy_for_import,
    import_copy_key,
    queue_import,
)
from loadbay.files.schemas import FileListOut, FileOut, SignedUrlOut, UploadOut
from loadbay.files.service import (
    DOCUMENT_TYPES,
    document_type,
    file_payload,
    get_account_file,
    list_account_files,
    new_file_id,
    object_key,
    record_file,
)
from loadbay.files.uploads import ReceivedDocument, receive_document
from loadbay.idempotency import service as idempotency
from loadbay.importing.registry import ImportType
from loadbay.importing.service import new_reference_id
from loadbay.kit.pagination import BadCursor
from loadbay.limiting.uploads import admit
from loadbay.metrics.families import UPLOAD_BYTES
from loadbay.models import Account, StoredFile
from loadbay.runtime import Runtime

router = APIRouter(prefix="/files/v1/{clientId}", tags=["files"])

# The seed's example sends the bare token as the Authorization header; "Bearer <token>" works too.
FilesClient = Annotated[AuthClient, Depends(require_scope("files", allow_bare=True))]

CLIENT_MISMATCH = (
    "The clientId in the path is not the client this token was issued to: use your own client_id."
)
ACCOUNT_NOT_FOUND = (
    "Account not found, or this client is not authorized for it: check the accountId "
    "and ask your administrator for a grant."
)
FILE_NOT_FOUND = "File not found for this account."
MISSING_ACCOUNT = "Missing accountId: send it as a multipart/form-data field named 'accountId'."


def own_client(clientId: str, client: FilesClient) -> AuthClient:
    """The caller, whose own client_id the path must name.

    403, not 404: the path is compared with the caller's own id only, so the answer is the
    same for every other value and reveals nothing; and it names the mistake to fix.
    """
    if clientId != client.client_id:
        raise ApiError(403, CLIENT_MISMATCH)
    return client


OwnClient = Annotated[AuthClient, Depends(own_client)]


def _granted_account(session: Session, client: AuthClient, account_id: str) -> Account:
    # One answer for an account that does not exist, is another tenant's, or is not granted.
    account = get_granted_account(
        session, tenant_id=client.tenant_id, client_pk=client.id, account_id=account_id
    )
    if account is None:
        raise ApiError(404, ACCOUNT_NOT_FOUND)
    return account


@router.post("/upload_files", response_model=UploadOut)
async def upload_files(
    request: Request, client: OwnClient, session: WriteSession, runtime: RuntimeDep
) -> Any:
    """Upload one file for one account (multipart: ``accountId``, ``file``, optional ``documentType``).

    Optional ``importType`` (a CSV file, a client with the ``rostering`` scope too) also
    queues an import of it; the answer's ``referenceId`` works with the status and download
    endpoints of ``/api/v1``.
    """
    idempotency_key = idempotency.request_key(request)
    await admit(runtime, client, endpoint="files", idempotency_key=idempotency_key)
    file_id = new_file_id()
    key = object_key(tenant_id=client.tenant_id, file_id=file_id)
    accounts: dict[str, Account] = {}

    def check_account(account_id: str) -> Account:
        account = _granted_account(session, client, account_id)
        # End the read: the body streams on, and storage work follows, with no connection held.
        session.commit()
        return account

    async def on_field(name: str, value: str) -> None:
        # In the seed's layout accountId comes first: refuse a wrong one before the file is read.
        if name == "accountId" and value:
            accounts[value] = await run_in_threadpool(check_account, value)

    form = await receive_document(
        request,
        storage=runtime.storage,
        key=key,
        max_bytes=runtime.settings.files_max_upload_bytes,
        on_field=on_field,
    )
    reference_id: str | None = None
    try:
        account_id = form.fields.get("accountId", "")
        if not account_id:
            raise ApiError(400, MISSING_ACCOUNT)
        if account_id not in accounts:
            await run_in_threadpool(check_account, account_id)
        stored_type, warning = document_type(form.fields.get("documentType"))
        warnings = [warning] if warning else []
        kept = form.document
        import_type: ImportType | None = None
        import_name = form.fields.get("importType", "")
        if import_name:
            import_type = await run_in_threadpool(
                check_import_request,
                client=client,
                name=import_name,
                document=form.document,
                storage=runtime.storage,
                max_bytes=runtime.settings.max_upload_bytes,
            )
            reference_id = new_reference_id()
            await run_in_threadpool(
                copy_for_import, runtime.storage, document=form.document, reference_id=reference_id
            )
            kept, blanked = await run_in_threadpool(
                blank_secret_columns, runtime.storage, document=form.document, import_type=import_type
            )
            if blanked:
                warnings.append(
                    f"{', '.join(blanked)} blanked in the stored document: Loadbay keeps no clear "
                    "passwords. The import received the file as sent; size and sha256 describe the "
                    "stored document."
                )

        def write() -> dict[str, Any]:
            row = _record(
                session,
                client=client,
                file_id=file_id,
                account_id=account_id,
                sent=form.document,
                kept=kept,
                stored_type=stored_type,
                reference_id=reference_id,
                import_type=import_type,
            )
            return {**file_payload(row), "warnings": warnings}

        options = {name: form.fields.get(name, "") for name in ("accountId", "documentType", "importType")}
        body, replayed = await run_in_threadpool(
            lambda: idempotency.once(
                session,
                tenant_id=client.tenant_id,
                endpoint="files",
                key=idempotency_key,
                fingerprint=idempotency.fingerprint(form.document.sha256, options),
                write=write,
            )
        )
    except BaseException:
        # No row, no object: a refused upload leaves nothing behind.
        await run_in_threadpool(_discard, runtime, key, reference_id)
        raise
    if replayed:
        # The first upload's answer: this request's copies are not needed.
        await run_in_threadpool(_discard, runtime, key, reference_id)
        return JSONResponse(body, headers=idempotency.REPLAYED)
    UPLOAD_BYTES.labels("files").inc(form.document.size)
    if reference_id is not None:
        runtime.wakeup.set()
    return body


def _record(
    session: Session,
    *,
    client: AuthClient,
    file_id: str,
    account_id: str,
    sent: ReceivedDocument,
    kept: ReceivedDocument,
    stored_type: str | None,
    reference_id: str | None,
    import_type: ImportType | None,
) -> StoredFile:
    if reference_id is not None and import_type is not None:
        queue_import(
            session,
            document=sent,
            import_type=import_type,
            reference_id=reference_id,
            tenant_id=client.tenant_id,
            client_pk=client.id,
        )
    row = record_file(
        session,
        file_id=file_id,
        tenant_id=client.tenant_id,
        account_id=account_id,
        client_pk=client.id,
        document=kept,
        document_type=stored_type,
        import_id=reference_id,
    )
    # The caller commits before answering, so the referenceId can be polled at once.
    session.flush()
    return row


def _discard(runtime: Runtime, key: str, reference_id: str | None) -> None:
    runtime.storage.delete(key)
    if reference_id is not None:
        runtime.storage.delete(import_copy_key(reference_id))


@router.get("/accounts/{accountId}/files", response_model=FileListOut)
def list_files(
    accountId: str,
    client: OwnClient,
    session: DbSession,
    documentType: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> Any:
    """The account's documents, newest first, ``limit`` at a time; ``nextCursor`` fetches the next page."""
    _granted_account(session, client, accountId)
    if documentType is not None and documentType not in DOCUMENT_TYPES:
        raise ApiError(400, f"documentType must be one of {', '.join(DOCUMENT_TYPES)} (case-sensitive).")
    try:
        page = list_account_files(
            session,
            tenant_id=client.tenant_id,
            account_id=accountId,
            document_type=documentType,
            limit=limit,
            cursor=cursor,
        )
    except BadCursor:
        raise ApiError(
            400, "The cursor is not one this API handed out: pass nextCursor as it came."
        ) from None
    return {"files": [file_payload(row) for row in page.files], "nextCursor": page.next_cursor}


def _find_file(session: Session, client: AuthClient, account_id: str, file_id: str) -> StoredFile:
    _granted_account(session, client, account_id)
    row = get_account_file(session, tenant_id=client.tenant_id, account_id=account_id, file_id=file_id)
    if row is None:
        raise ApiError(404, FILE_NOT_FOUND)
    return row


@router.get("/accounts/{accountId}/files/{fileId}", response_model=FileOut)
def get_file(accountId: str, fileId: str, client: OwnClient, session: DbSession) -> Any:
    """One document's metadata."""
    return file_payload(_find_file(session, client, accountId, fileId))


@router.get("/accounts/{accountId}/files/{fileId}/download", response_model=SignedUrlOut)
def download_file(
    accountId: str, fileId: str, client: OwnClient, session: DbSession, runtime: RuntimeDep
) -> Any:
    """A time-limited signed URL; it serves the file as an attachment, with its detected type and nosniff."""
    row = _find_file(session, client, accountId, fileId)
    ttl = runtime.settings.signed_url_ttl_seconds
    url = runtime.storage.signed_url(
        row.object_key,
        ttl_seconds=ttl,
        filename=row.original_filename or row.id,
        content_type=row.content_type,
    )
    return {"signedUrl": url, "expiresIn": ttl}
