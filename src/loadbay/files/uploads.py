"""Receive a seed-004 upload: form fields and exactly one file, streamed into object storage.

The file goes to storage chunk by chunk while it is measured, hashed and sniffed. Form
fields are handed to the caller as soon as each arrives, so an unknown account is refused
before a file that follows it is read. Whatever is refused leaves nothing stored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from loadbay import errors
from loadbay.errors import ApiError
from loadbay.files.detect import ContentSniffer
from loadbay.kit import streaming
from loadbay.kit.multipart import MultipartError, MultipartReader, PartInfo
from loadbay.kit.storage import ObjectStorage, StorageError

FILE_FIELD = "file"
MISSING_FILE = "Missing file: send the document as multipart/form-data in a field named 'file'."


@dataclass
class ReceivedDocument:
    key: str
    filename: str | None
    size: int
    sha256: str
    content_type: str
    is_text: bool
    # Physical lines when the file is text, header included: what an import of it counts
    # towards from its first progress poll (None: not text, so not counted).
    lines: int | None = None


@dataclass
class DocumentForm:
    document: ReceivedDocument
    fields: dict[str, str] = field(default_factory=dict)


class _Empty(Exception):
    pass


def too_large(limit: int, what: str = "File") -> ApiError:
    return errors.too_large(limit, what=what, advice="Send a smaller file.")


async def receive_document(
    request: Request,
    *,
    storage: ObjectStorage,
    key: str,
    max_bytes: int,
    on_field: Callable[[str, str], Awaitable[None]],
) -> DocumentForm:
    """Store the one file part at ``key``; ``on_field(name, value)`` sees each text field as it arrives.

    If ``on_field`` raises, or anything else goes wrong, the stored file is deleted and the
    error goes on to the caller.
    """
    try:
        reader = streaming.open_multipart(request, max_bytes=max_bytes)
    except streaming.TooLarge:
        raise too_large(max_bytes) from None
    except streaming.NotMultipart as exc:
        raise ApiError(400, exc.reason or MISSING_FILE) from None

    document: ReceivedDocument | None = None
    fields: dict[str, str] = {}
    try:
        while (part := await reader.next_part()) is not None:
            if part.filename is not None or part.name == FILE_FIELD:
                if document is not None:
                    raise ApiError(
                        400,
                        "Send exactly one file per request: this one has more than one file part. "
                        "Nothing was stored.",
                    )
                if part.name != FILE_FIELD:
                    raise ApiError(400, f"{MISSING_FILE} The file came in a field named '{part.name}'.")
                document = await _store(reader, part, storage=storage, key=key, max_bytes=max_bytes)
                continue
            if part.name in fields:
                raise ApiError(400, f"The form field '{part.name}' appears more than once; send it once.")
            fields[part.name] = value = (await reader.read_text()).strip()
            await on_field(part.name, value)
    except MultipartError as exc:
        await _discard(storage, key, document)
        raise ApiError(400, f"The upload could not be read: {exc}") from exc
    except BaseException:
        # Also a client that hangs up after its file: nothing half-accepted stays behind.
        await _discard(storage, key, document)
        raise
    if document is None:
        raise ApiError(400, MISSING_FILE)
    return DocumentForm(document=document, fields=fields)


async def _discard(storage: ObjectStorage, key: str, document: ReceivedDocument | None) -> None:
    if document is not None:
        await run_in_threadpool(storage.delete, key)


async def _store(
    reader: MultipartReader, part: PartInfo, *, storage: ObjectStorage, key: str, max_bytes: int
) -> ReceivedDocument:
    sniffer = ContentSniffer()

    def at_end(size: int) -> None:
        if size == 0:
            raise _Empty()

    try:
        streamed = await streaming.store_stream(
            storage, key, reader.iter_data(), max_bytes=max_bytes, inspect=sniffer.feed, at_end=at_end
        )
    except streaming.TooLarge:
        raise too_large(max_bytes) from None
    except StorageError as exc:
        raise errors.upload_error(exc) from exc
    except _Empty:
        raise ApiError(400, "The file is empty: there is nothing to store.") from None
    # content_type() decodes the last bytes, so it comes before is_text and the line count.
    content_type = sniffer.content_type()
    return ReceivedDocument(
        key=key,
        filename=streaming.clean_filename(part.filename),
        size=streamed.size,
        sha256=streamed.sha256,
        content_type=content_type,
        is_text=sniffer.is_text,
        lines=sniffer.physical_lines,
    )
