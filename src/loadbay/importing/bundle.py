"""A bundle: one upload that is a zip of CSV files with a manifest, imported as one import.

A format (OneRoster 1.1, registered by its package) names its manifest and reads it into the
files to import, in order, each with its import type and mode (bulk: the whole truth; delta).
The zip is checked twice: its directory when it is uploaded (``identify``, a 400 before the
import is queued), and the real bytes while the worker unpacks it (``unpack``), so a zip whose
headers lie is stopped before it fills a disk. A bundle is recognised by its content (a zip's
first bytes), not its name.
"""

from __future__ import annotations

import json
import shutil
import struct
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from loadbay.config import Settings
from loadbay.kit.storage import ObjectStorage
from loadbay.kit.zipsafe import SafeZip, ZipLimits, ZipRefused

# A zip's first bytes: a local file header, or the end of an empty one's directory.
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
MANIFEST_LIMIT = 1024 * 1024
# An Office Open XML document (xlsx) is a zip too; it names its parts here.
_WORKBOOK_PART = "[Content_Types].xml"


@dataclass(frozen=True)
class BundleEntry:
    """One file of a bundle to import: its name in the zip, import type and mode."""

    name: str
    import_type: str
    mode: str


BULK = "bulk"
PENDING, RUNNING, DONE = "pending", "running", "done"


@dataclass
class FileProgress:
    """One file of a bundle, as the import row keeps it (and the API shows it)."""

    name: str
    import_type: str
    mode: str
    status: str = PENDING
    # Physical lines read so far, header included.
    lines: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    # The import's parts this file stored: first_part + 1 .. last_part.
    first_part: int = 0
    last_part: int = 0
    synced: bool = False
    # The run's counts when the file started: its own are the difference.
    base: dict[str, int] = field(default_factory=dict)


def load_progress(text: str | None) -> list[FileProgress]:
    return [FileProgress(**item) for item in json.loads(text)] if text else []


def progress_view(text: str | None) -> list[dict[str, Any]] | None:
    """A bundle's files as the API shows them: name, type, mode, status, lines and counts."""
    if not text:
        return None
    return [
        {
            "name": f.name,
            "importType": f.import_type,
            "mode": f.mode,
            "status": f.status,
            "lines": f.lines,
            "counts": f.counts,
        }
        for f in load_progress(text)
    ]


class BundleRefused(Exception):
    """The zip or its manifest cannot be imported; ``message`` says what to fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# Reads a manifest's bytes, given the zip's entry names, into the files to import, in order;
# raises BundleRefused.
ManifestReader = Callable[[bytes, list[str]], list[BundleEntry]]


@dataclass(frozen=True)
class BundleFormat:
    name: str
    manifest: str
    read: ManifestReader


_FORMATS: dict[str, BundleFormat] = {}


def register_format(bundle_format: BundleFormat) -> BundleFormat:
    _FORMATS[bundle_format.name] = bundle_format
    return bundle_format


def is_zip(head: bytes) -> bool:
    return head.startswith(ZIP_MAGIC)


def limits(settings: Settings) -> ZipLimits:
    return ZipLimits(
        max_compressed=settings.max_upload_bytes,
        max_uncompressed=settings.max_bundle_unpacked_bytes,
        max_entries=settings.max_bundle_entries,
        max_ratio=settings.max_bundle_ratio,
    )


def identify(binary: IO[bytes], *, settings: Settings) -> tuple[BundleFormat, list[BundleEntry]]:
    """The format of the zip in ``binary`` (seekable) and its files to import; BundleRefused when
    the zip is unsafe, a workbook, or its manifest is missing or wrong."""
    _refuse_workbook(binary)
    try:
        with SafeZip(binary, limits(settings)) as archive:
            names = archive.names
            for bundle_format in _FORMATS.values():
                if bundle_format.manifest in names:
                    manifest = archive.read(bundle_format.manifest, limit=MANIFEST_LIMIT)
                    return bundle_format, bundle_format.read(manifest, names)
    except ZipRefused as exc:
        raise BundleRefused(f"The zip cannot be imported: {exc.message}") from None
    known = " or ".join(f"{f.manifest} ({f.name})" for f in _FORMATS.values())
    raise BundleRefused(f"The zip has no {known} at its root, so it is not a bundle Loadbay imports.")


def _refuse_workbook(binary: IO[bytes]) -> None:
    try:
        names = zipfile.ZipFile(binary).namelist()
    except (
        zipfile.BadZipFile,
        OSError,
        EOFError,
        ValueError,
        struct.error,
        NotImplementedError,
        OverflowError,
    ):
        return  # a damaged directory, in one of the ways zipfile reports it: SafeZip says what is wrong
    finally:
        binary.seek(0)
    if _WORKBOOK_PART in names:
        raise BundleRefused(
            "This is a spreadsheet workbook (such as .xlsx), not CSV: save the sheet as CSV "
            "(UTF-8) and upload that."
        )


@contextmanager
def local_copy(storage: ObjectStorage, key: str) -> Iterator[IO[bytes]]:
    """The stored object in a temporary local file: a zip is read from its end, by seeking."""
    with tempfile.TemporaryFile() as copy:
        with storage.open(key) as source:
            shutil.copyfileobj(source, copy, 1024 * 1024)
        copy.seek(0)
        yield copy


def unpack(
    storage: ObjectStorage, *, key: str, prefix: str, settings: Settings
) -> tuple[BundleFormat, list[tuple[BundleEntry, str]]]:
    """Unpack the bundle stored at ``key`` into ``prefix``: its files to import, each with the key
    of its CSV. Entries are counted while they inflate (BundleRefused past the limits)."""
    with local_copy(storage, key) as binary:
        bundle_format, entries = identify(binary, settings=settings)
        binary.seek(0)
        unpacked = []
        try:
            with SafeZip(binary, limits(settings)) as archive:
                for entry in entries:
                    with tempfile.NamedTemporaryFile(suffix=".csv") as out:
                        archive.copy(entry.name, out)
                        out.flush()
                        storage.put_file(f"{prefix}{entry.name}", Path(out.name))
                    unpacked.append((entry, f"{prefix}{entry.name}"))
        except ZipRefused as exc:
            raise BundleRefused(f"The zip cannot be imported: {exc.message}") from None
    return bundle_format, unpacked
