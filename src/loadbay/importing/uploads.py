"""Receive an uploaded CSV file: stream it into object storage, checking it on the way.

Size, encoding, NUL bytes and the header row are checked while the bytes arrive; a file
that fails any check is refused and nothing is stored. Where bundles are accepted, a zip (known
by its first bytes, whatever its name) is stored as it comes and its directory and manifest are
checked once it is in (importing/bundle.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from loadbay.config import Settings
from loadbay.errors import ApiError, too_large, upload_error
from loadbay.importing.bundle import BundleRefused, identify, is_zip, local_copy
from loadbay.importing.service import ReceivedUpload
from loadbay.kit.csvsniff import NotCsvError, TextChecker
from loadbay.kit.multipart import MultipartError, MultipartReader, PartInfo
from loadbay.kit.storage import ObjectStorage, StorageError
from loadbay.kit.streaming import NotMultipart, TooLarge, clean_filename, open_multipart, store_stream


async def receive_csv_upload(
    request: Request,
    *,
    storage: ObjectStorage,
    key: str,
    max_bytes: int,
    field_name: str = "file",
    check_field: Callable[[str], None] | None = None,
    bundles: Settings | None = None,
) -> ReceivedUpload:
    """Store the multipart ``field_name`` file at ``key``; other form fields come back in ``fields``.

    ``bundles``: a zip is accepted as a bundle, checked against these settings' limits.

    ``check_field`` sees each part's name as it arrives and may refuse it (an ApiError); so is a
    field sent twice with two values. Either way, a file stored already is deleted.
    """
    missing_file = f"Missing file: send the CSV as multipart/form-data in a field named '{field_name}'."
    try:
        reader = open_multipart(request, max_bytes=max_bytes)
    except TooLarge:
        raise too_large(max_bytes) from None
    except NotMultipart as exc:
        raise ApiError(400, exc.reason or missing_file) from None

    received: ReceivedUpload | None = None
    fields: dict[str, str] = {}
    try:
        while (part := await reader.next_part()) is not None:
            if check_field is not None:
                check_field(part.name)
            if part.name == field_name and part.filename is not None:
                if received is not None:
                    raise ApiError(400, f"Send exactly one file in the '{field_name}' field.")
                received = await _store_part(
                    reader, part, storage=storage, key=key, max_bytes=max_bytes, bundles=bundles
                )
            else:
                value = await reader.read_text()
                if fields.setdefault(part.name, value) != value:
                    raise ApiError(
                        400,
                        f"The form field '{part.name[:64]}' is sent twice with different values "
                        f"('{fields[part.name][:32]}' and '{value[:32]}'); send it once.",
                    )
    except MultipartError as exc:
        if received is not None:
            storage.delete(key)
        raise ApiError(400, f"The upload could not be read: {exc}") from exc
    except ApiError:
        if received is not None:
            storage.delete(key)
        raise
    if received is None:
        raise ApiError(400, missing_file)
    received.fields = fields
    return received


_WORKBOOK = re.compile(r"\.(xlsx|xlsm|xls|ods|numbers)$", re.IGNORECASE)


class _Content:
    """The text checks of a CSV file, or, on a zip's first bytes where bundles are accepted, none:
    a bundle is checked once stored."""

    def __init__(self, *, bundles: bool) -> None:
        self.text = TextChecker()
        self.bundles = bundles
        self.zip: bool | None = None

    def feed(self, chunk: bytes) -> None:
        if self.zip is None and chunk:
            self.zip = self.bundles and is_zip(chunk)
        if not self.zip:
            self.text.feed(chunk)

    def finish(self) -> None:
        if not self.zip:
            self.text.finish()


async def _store_part(
    reader: MultipartReader,
    part: PartInfo,
    *,
    storage: ObjectStorage,
    key: str,
    max_bytes: int,
    bundles: Settings | None,
) -> ReceivedUpload:
    filename = (part.filename or "").strip()
    suffixes = (".csv", ".zip") if bundles is not None else (".csv",)
    if filename and not filename.lower().endswith(suffixes):
        accepted = ".csv files and .zip bundles are" if bundles is not None else ".csv files are"
        hint = " A spreadsheet workbook: save the sheet as CSV (UTF-8)." if _WORKBOOK.search(filename) else ""
        raise ApiError(
            400,
            f"Invalid file type: only {accepted} accepted, got '{clean_filename(filename)}'.{hint}",
        )
    checker = _Content(bundles=bundles is not None)
    try:
        streamed = await store_stream(
            storage,
            key,
            reader.iter_data(),
            max_bytes=max_bytes,
            inspect=checker.feed,
            at_end=lambda _size: checker.finish(),
        )
    except TooLarge:
        raise too_large(max_bytes) from None
    except StorageError as exc:
        raise upload_error(exc) from exc
    except NotCsvError as exc:
        raise ApiError(400, f"Invalid file type: {exc}") from None
    bundle = None
    if checker.zip:
        assert bundles is not None
        try:
            bundle = await run_in_threadpool(_identify, storage, key, bundles)
        except BundleRefused as exc:
            storage.delete(key)
            raise ApiError(400, f"Invalid bundle: {exc.message}") from None
    return ReceivedUpload(
        key=key,
        filename=clean_filename(filename),
        size=streamed.size,
        sha256=streamed.sha256,
        lines=None if checker.zip else checker.text.physical_lines,
        bundle=bundle,
    )


def _identify(storage: ObjectStorage, key: str, settings: Settings) -> str:
    with local_copy(storage, key) as binary:
        bundle_format, _ = identify(binary, settings=settings)
    return bundle_format.name
