"""Hand an uploaded CSV document to the importer (``importType``): a normal import job of the core.

The import gets its own copy of the bytes at ``import-csv/pending/<referenceId>.csv``, so the
document and the import live independently: the worker moves, redacts and files its copy
as it does every upload. The document stays as uploaded, except that a secret column
(``user_password``) is blanked in it, because Loadbay keeps no clear passwords.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from sqlalchemy.orm import Session

from loadbay.auth.deps import AuthClient
from loadbay.errors import ApiError
from loadbay.files.detect import ContentSniffer
from loadbay.files.uploads import ReceivedDocument, too_large
from loadbay.importing.csvtext import FileRejected
from loadbay.importing.objects import stored_key
from loadbay.importing.read import open_stored
from loadbay.importing.registry import ImportType, all_types, get_type
from loadbay.importing.results import RedactedCopy
from loadbay.importing.service import ReceivedUpload, create_import
from loadbay.kit.storage import ObjectStorage
from loadbay.models import ImportJob

# Importing writes rostering data (users, with passwords), so it takes that scope, not just "files".
IMPORT_SCOPE = "rostering"


def check_import_request(
    *, client: AuthClient, name: str, document: ReceivedDocument, storage: ObjectStorage, max_bytes: int
) -> ImportType:
    """The import type to run, once the client, the type and the file all allow it; ApiError otherwise."""
    if IMPORT_SCOPE not in client.scopes:
        raise ApiError(
            403,
            f"Insufficient scope: importType hands the file to the importer, which needs the "
            f"'{IMPORT_SCOPE}' scope as well as 'files'. Ask for a client with both.",
        )
    import_type = get_type(name)
    if import_type is None or import_type.scope != IMPORT_SCOPE:
        known = ", ".join(t.name for t in all_types(scope=IMPORT_SCOPE))
        raise ApiError(400, f"Unknown importType '{name[:64]}': choose one of {known}.")
    if not document.is_text:
        raise ApiError(
            400,
            f"importType needs a CSV text file (UTF-8 or UTF-16); this file is {document.content_type}.",
        )
    if document.size > max_bytes:
        raise too_large(max_bytes, "File for an import")
    try:
        with storage.open(document.key) as binary:
            header = open_stored(binary).header.names
    except FileRejected as exc:
        raise ApiError(400, f"The file cannot be imported: {exc}") from None
    problems = import_type.header_problems(header)
    if problems:
        raise ApiError(
            400,
            f"The file does not fit importType '{import_type.name}': {'; '.join(problems)}. "
            f"Expected columns: {', '.join(import_type.template_header())}.",
        )
    return import_type


def import_copy_key(reference_id: str) -> str:
    return stored_key(reference_id, "pending")


def copy_for_import(storage: ObjectStorage, *, document: ReceivedDocument, reference_id: str) -> None:
    """The importer's own copy of the bytes as sent; the caller deletes it if the request fails."""
    storage.copy(document.key, import_copy_key(reference_id))


def blank_secret_columns(
    storage: ObjectStorage, *, document: ReceivedDocument, import_type: ImportType
) -> tuple[ReceivedDocument, list[str]]:
    """Rewrite the stored document with its secret columns blank; (the new description, their names).

    The import has the clear values in its own copy, and blanks them there once it has used them.
    """
    with storage.open(document.key) as binary:
        stored = open_stored(binary)
        header = stored.header
        secret = [
            i
            for i, name in enumerate(header.names)
            if import_type.canonical(name) in import_type.secret_columns
        ]
        if not secret:
            return document, []
        copy = RedactedCopy(
            storage,
            prefix=f"files/work/{document.key.replace('/', '_')}",
            header=header.names,
            secret_indexes=secret,
            delimiter=header.delimiter,
        )
        names = [f"_{i}" for i in range(len(header.names))]
        try:
            for batch in stored.batches(names, batch_bytes=8 * 1024 * 1024, batch_rows=100_000):
                copy.write_batch(batch.frame)
        except FileRejected as exc:
            raise ApiError(400, f"The file cannot be imported: {exc}") from None
    copy.flush(1)
    copy.assemble(parts=1, key=document.key)
    storage.delete_prefix(copy.prefix + "/")
    sniffer = ContentSniffer()
    digest = hashlib.sha256()
    size = 0
    with storage.open(document.key) as written:
        while chunk := written.read(1024 * 1024):
            sniffer.feed(chunk)
            digest.update(chunk)
            size += len(chunk)
    blanked = [header.names[i] for i in secret]
    return (
        replace(document, size=size, sha256=digest.hexdigest(), content_type=sniffer.content_type()),
        blanked,
    )


def queue_import(
    session: Session,
    *,
    document: ReceivedDocument,
    import_type: ImportType,
    reference_id: str,
    tenant_id: int,
    client_pk: int,
) -> ImportJob:
    """The pending import of the copy made by :func:`copy_for_import`, described as the client sent it."""
    upload = ReceivedUpload(
        key=import_copy_key(reference_id),
        filename=document.filename,
        size=document.size,
        sha256=document.sha256,
        lines=document.lines,
    )
    return create_import(
        session,
        reference_id=reference_id,
        tenant_id=tenant_id,
        client_id=client_pk,
        upload=upload,
        # The type asked for, not one detected from the header: importType binds.
        options={"scope": IMPORT_SCOPE, "import_type": import_type.name},
    )
