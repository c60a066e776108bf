"""Documents of an account: record one, list them a page at a time, find one, describe one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loadbay.files.uploads import ReceivedDocument
from loadbay.kit.pagination import newest_first
from loadbay.models import StoredFile
from loadbay.models.base import iso_utc

# The document types of seed 004 (and of BackofficeSPA), spelled exactly as the document spells them.
DOCUMENT_TYPES = ("Invoice", "CSV", "Document")


def new_file_id() -> str:
    return str(uuid.uuid4())


def object_key(*, tenant_id: int, file_id: str) -> str:
    """Generated from ids only: nothing the client sends ever becomes part of a storage key.

    The account is not in it: the file may arrive before the accountId field does.
    """
    return f"files/{tenant_id}/{file_id}"


def document_type(value: str | None) -> tuple[str | None, str | None]:
    """(the type to store, a warning). Matching is exact and case-sensitive, as the document lists them."""
    if value is None or value == "":
        return None, None
    if value in DOCUMENT_TYPES:
        return value, None
    return None, (
        f"documentType '{value[:64]}' is not one of {', '.join(DOCUMENT_TYPES)} (case-sensitive): "
        "the file was uploaded and its type left unset."
    )


def record_file(
    session: Session,
    *,
    file_id: str,
    tenant_id: int,
    account_id: str,
    client_pk: int,
    document: ReceivedDocument,
    document_type: str | None,
    import_id: str | None,
) -> StoredFile:
    """Insert the row of a document already in storage."""
    row = StoredFile(
        id=file_id,
        tenant_id=tenant_id,
        account_id=account_id,
        client_id=client_pk,
        document_type=document_type,
        original_filename=document.filename,
        object_key=document.key,
        size_bytes=document.size,
        content_type=document.content_type,
        sha256=document.sha256,
        import_id=import_id,
    )
    session.add(row)
    session.flush()
    return row


def get_account_file(session: Session, *, tenant_id: int, account_id: str, file_id: str) -> StoredFile | None:
    """The document, only if it is this tenant's and filed under this account."""
    return session.scalar(
        select(StoredFile).where(
            StoredFile.id == file_id,
            StoredFile.tenant_id == tenant_id,
            StoredFile.account_id == account_id,
        )
    )


@dataclass
class FilePage:
    files: list[StoredFile]
    next_cursor: str | None


def list_account_files(
    session: Session,
    *,
    tenant_id: int,
    account_id: str,
    document_type: str | None,
    limit: int,
    cursor: str | None,
) -> FilePage:
    """Newest first, a page at a time (see :func:`newest_first`). Raises BadCursor."""
    query = select(StoredFile).where(StoredFile.tenant_id == tenant_id, StoredFile.account_id == account_id)
    if document_type is not None:
        query = query.where(StoredFile.document_type == document_type)
    files, next_cursor = newest_first(
        session, query, created_at=StoredFile.created_at, row_id=StoredFile.id, cursor=cursor, limit=limit
    )
    return FilePage(files=files, next_cursor=next_cursor)


def file_payload(row: StoredFile) -> dict[str, Any]:
    """A document as every endpoint describes it."""
    return {
        "id": row.id,
        "accountId": row.account_id,
        "documentType": row.document_type,
        "fileName": row.original_filename,
        "size": row.size_bytes,
        "contentType": row.content_type,
        "sha256": row.sha256,
        "uploadedAt": iso_utc(row.created_at),
        "referenceId": row.import_id,
    }
