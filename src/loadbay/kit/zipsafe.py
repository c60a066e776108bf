"""Read a zip of CSV files that nobody vouches for without letting it fill a disk or escape a folder.

The central directory is checked when the zip is opened; entries are then inflated here, from
the raw bytes, so that the real size of what comes out is counted chunk by chunk and a zip whose
headers lie is stopped while streaming, not after.

:class:`ZipRefused` carries one of these codes:

- ``not_a_zip``: not a zip, or damaged (unreadable directory, data past the end of the file,
  a wrong checksum, a deflate stream that ends early).
- ``zip_too_large``: the zip itself, or an entry read with a cap, is over its size limit.
- ``zip_entries``: more entries than ``max_entries``.
- ``zip_entry_name``: an entry that is not a plain file name at the root of the zip (a folder,
  a path, ``..``, a backslash, a drive letter or colon, a control character), or a name twice.
- ``zip_encrypted``: a password-protected entry.
- ``zip_method``: compressed otherwise than stored or deflated (the two every zip tool writes;
  bzip2 and lzma cannot be inflated in bounded pieces by the standard library).
- ``zip_not_csv``: an entry whose name does not end in ``.csv``.
- ``zip_bomb``: declared sizes over ``max_uncompressed`` or ``max_ratio`` (per entry and in all),
  entries that share their compressed data, or, while streaming, an entry inflating past its
  declared size or the entries read passing ``max_uncompressed`` between them.

While streaming, an entry's real ratio needs no check of its own: it never inflates past its
declared size, which was held within ``max_ratio`` of its compressed size, and that compressed
size was checked against where the entry really lies in the file.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Generator
from dataclasses import dataclass
from types import TracebackType
from typing import IO, TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

RefusalCode = Literal[
    "not_a_zip",
    "zip_too_large",
    "zip_entries",
    "zip_entry_name",
    "zip_encrypted",
    "zip_method",
    "zip_not_csv",
    "zip_bomb",
]

CHUNK_BYTES = 1024 * 1024
_LOCAL_HEADER = struct.Struct("<4s22xHH")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_ENCRYPTED = 0x1
_UTF8_NAME = 0x800
# zipfile reports a damaged directory with any of these, depending on where it breaks.
_DAMAGED_DIRECTORY = (
    zipfile.BadZipFile,
    EOFError,
    ValueError,
    struct.error,
    NotImplementedError,
    OverflowError,
)
_ROOT_HINT = "zip the CSV files themselves, not a folder, so that each sits at the root of the zip"


@dataclass(frozen=True)
class ZipLimits:
    max_compressed: int
    max_uncompressed: int
    max_entries: int
    # Uncompressed over compressed bytes, for each entry and for the zip as a whole.
    max_ratio: float


class ZipRefused(Exception):
    """The zip cannot be read safely; ``message`` says what to fix, ``code`` is stable."""

    def __init__(self, code: RefusalCode, message: str) -> None:
        super().__init__(message)
        self.code: RefusalCode = code
        self.message = message


class SafeZip:
    """The entries of a zip of CSV files, checked on open and counted as they are read.

    ``file`` must be a seekable binary file; it stays the caller's to close. Not thread-safe:
    the readers of one SafeZip share its file position.
    """

    def __init__(self, file: IO[bytes], limits: ZipLimits) -> None:
        self._file = file
        self._limits = limits
        self._size = file.seek(0, io.SEEK_END)
        self._read_total = 0
        self._closed = False
        if self._size > limits.max_compressed:
            raise ZipRefused(
                "zip_too_large",
                f"The zip is {self._size} bytes; Loadbay takes zips of at most "
                f"{limits.max_compressed} bytes.",
            )
        self._infos = _central_directory(file)
        _check_entries(self._infos, limits, self._size)
        self._by_name = {info.filename: info for info in self._infos}

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._closed = True

    @property
    def names(self) -> list[str]:
        """The entry names, in the order of the zip's directory."""
        return [info.filename for info in self._infos]

    def open(self, name: str) -> io.BufferedReader:
        """A reader of the entry's bytes, inflated as they are read; ZipRefused when it lies."""
        return io.BufferedReader(_EntryReader(self._chunks(self._entry(name))), buffer_size=CHUNK_BYTES)

    def read(self, name: str, *, limit: int) -> bytes:
        """The whole of a small entry (a manifest); ZipRefused when it is over ``limit`` bytes."""
        info = self._entry(name)
        if info.file_size > limit:
            raise ZipRefused(
                "zip_too_large",
                f"{_shown(name)} is {info.file_size} bytes; Loadbay reads at most {limit} bytes of it.",
            )
        return b"".join(self._chunks(info))

    def copy(self, name: str, destination: IO[bytes]) -> int:
        """Write the entry into ``destination`` a chunk at a time; returns the bytes written."""
        written = 0
        for chunk in self._chunks(self._entry(name)):
            destination.write(chunk)
            written += len(chunk)
        return written

    def _entry(self, name: str) -> zipfile.ZipInfo:
        if self._closed:
            raise ValueError("SafeZip is closed")
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no entry {name!r} in the zip") from None

    def _chunks(self, info: zipfile.ZipInfo) -> Generator[bytes, None, None]:
        position = self._data_start(info)
        left = info.compress_size
        inflater = zlib.decompressobj(-zlib.MAX_WBITS) if info.compress_type == zipfile.ZIP_DEFLATED else None
        tail = b""
        produced = 0
        crc = 0
        while True:
            # One byte past what the entry may still give: a lie is seen without inflating more.
            room = min(info.file_size - produced, self._limits.max_uncompressed - self._read_total)
            want = min(CHUNK_BYTES, room + 1)
            if inflater is None:
                if not left:
                    break
                out = self._read_raw(info, position, min(want, left))
                position += len(out)
                left -= len(out)
            else:
                if inflater.eof:
                    break
                if not tail and left:
                    tail = self._read_raw(info, position, min(CHUNK_BYTES, left))
                    position += len(tail)
                    left -= len(tail)
                try:
                    out = inflater.decompress(tail, want)
                except zlib.error as exc:
                    raise _damaged(info, "its compressed data cannot be inflated") from exc
                tail = inflater.unconsumed_tail
                if not out:
                    if not inflater.eof and not tail and not left:
                        raise _damaged(info, "its compressed data ends early")
                    continue
            produced += len(out)
            self._read_total += len(out)
            self._check_counts(info, produced)
            crc = zlib.crc32(out, crc)
            yield out
        if produced != info.file_size or crc != info.CRC:
            raise _damaged(info, "its content does not match its checksum")

    def _check_counts(self, info: zipfile.ZipInfo, produced: int) -> None:
        if produced > info.file_size:
            raise ZipRefused(
                "zip_bomb",
                f"{_shown(info.filename)} inflates to more than the {info.file_size} bytes its header "
                "declares, as zip bombs do; Loadbay stopped reading it.",
            )
        if self._read_total > self._limits.max_uncompressed:
            raise ZipRefused(
                "zip_bomb",
                f"Reading {_shown(info.filename)} took the zip past {self._limits.max_uncompressed} "
                "uncompressed bytes, the most Loadbay takes; split it into smaller zips.",
            )

    def _data_start(self, info: zipfile.ZipInfo) -> int:
        self._file.seek(info.header_offset)
        header = self._file.read(_LOCAL_HEADER.size)
        if len(header) != _LOCAL_HEADER.size:
            raise _damaged(info, "its header is cut short")
        signature: bytes
        name_length: int
        extra_length: int
        signature, name_length, extra_length = _LOCAL_HEADER.unpack(header)
        # The name in front of the data must be the one in the directory, as zipfile requires.
        if signature != _LOCAL_SIGNATURE or self._file.read(name_length) != _raw_name(info):
            raise _damaged(info, "its header does not match the zip's directory")
        start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
        if start + info.compress_size > self._size:
            raise _damaged(info, "its data runs past the end of the file")
        return start

    def _read_raw(self, info: zipfile.ZipInfo, position: int, size: int) -> bytes:
        self._file.seek(position)
        data = self._file.read(size)
        if len(data) != size:
            raise _damaged(info, "its data runs past the end of the file")
        return data


class _EntryReader(io.RawIOBase):
    def __init__(self, chunks: Generator[bytes, None, None]) -> None:
        super().__init__()
        self._chunks = chunks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        target = memoryview(buffer).cast("B")
        size = min(len(target), len(self._pending))
        target[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def close(self) -> None:
        self._chunks.close()
        super().close()


def _central_directory(file: IO[bytes]) -> list[zipfile.ZipInfo]:
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            return archive.infolist()
    except _DAMAGED_DIRECTORY as exc:
        raise ZipRefused(
            "not_a_zip", "The file is not a zip, or it is damaged; zip the CSV files again and resend."
        ) from exc


def _check_entries(infos: list[zipfile.ZipInfo], limits: ZipLimits, size: int) -> None:
    if len(infos) > limits.max_entries:
        raise ZipRefused(
            "zip_entries",
            f"The zip has {len(infos)} entries, starting with {_shown(infos[0].filename)}; "
            f"Loadbay takes at most {limits.max_entries}.",
        )
    seen: set[str] = set()
    for info in infos:
        _check_name(info.orig_filename)
        if info.filename in seen:
            raise ZipRefused(
                "zip_entry_name",
                f"The zip holds {_shown(info.filename)} twice; keep one of them.",
            )
        seen.add(info.filename)
        _check_entry(info, limits)
    total = sum(info.file_size for info in infos)
    largest = max(infos, key=lambda info: info.file_size, default=None)
    if largest is not None and total > limits.max_uncompressed:
        raise ZipRefused(
            "zip_bomb",
            f"The zip's files inflate to {total} bytes, the largest being {_shown(largest.filename)}; "
            f"Loadbay takes at most {limits.max_uncompressed} bytes uncompressed; "
            "split it into smaller zips.",
        )
    if largest is not None and total > size * limits.max_ratio:
        raise ZipRefused(
            "zip_bomb",
            f"The zip inflates to more than {limits.max_ratio:g} times its size ({total} bytes, the largest "
            f"being {_shown(largest.filename)}), as zip bombs do.",
        )
    _check_layout(infos, size)


def _check_name(name: str) -> None:
    shown = _shown(name)
    problem = None
    if not name or not name.isprintable():
        problem = f"The zip entry {shown} is not a usable file name; rename it."
    elif name.startswith("/"):
        problem = f"The zip entry {shown} is an absolute path; {_ROOT_HINT}."
    elif ".." in re.split(r"[/\\]", name):
        problem = f"The zip entry {shown} points outside the zip with '..'; {_ROOT_HINT}."
    elif "\\" in name:
        problem = f"The zip entry {shown} contains a backslash; {_ROOT_HINT}."
    elif re.match(r"[A-Za-z]:", name):
        problem = f"The zip entry {shown} starts with a drive letter; {_ROOT_HINT}."
    elif ":" in name:
        problem = f"The zip entry {shown} contains ':', which a file name cannot; rename it."
    elif name.endswith("/"):
        problem = f"The zip holds the folder {shown}; {_ROOT_HINT}."
    elif "/" in name:
        problem = f"The zip entry {shown} is inside a folder; {_ROOT_HINT}."
    if problem:
        raise ZipRefused("zip_entry_name", problem)


def _check_entry(info: zipfile.ZipInfo, limits: ZipLimits) -> None:
    shown = _shown(info.filename)
    if info.flag_bits & _ENCRYPTED:
        raise ZipRefused(
            "zip_encrypted", f"{shown} is protected by a password; zip the files again without one."
        )
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ZipRefused(
            "zip_method",
            f"{shown} is compressed with method {info.compress_type}, which Loadbay does not read; "
            "zip the files again with ordinary (Deflate) compression.",
        )
    if not info.filename.lower().endswith(".csv"):
        raise ZipRefused("zip_not_csv", f"{shown} is not a .csv file; the zip may hold only CSV files.")
    if info.file_size > info.compress_size * limits.max_ratio:
        raise ZipRefused(
            "zip_bomb",
            f"{shown} inflates from {info.compress_size} to {info.file_size} bytes, more than "
            f"{limits.max_ratio:g} times, as zip bombs do.",
        )


def _check_layout(infos: list[zipfile.ZipInfo], size: int) -> None:
    """Each entry's data lies in the file and in no other entry (shared data makes zip bombs)."""
    ordered = sorted(infos, key=lambda info: info.header_offset)
    if ordered and ordered[0].header_offset < 0:
        # zipfile computes it from where the end record says the directory starts: a lie there.
        raise _damaged(ordered[0], "its directory says it starts before the file does")
    for info, following in zip(ordered, [*ordered[1:], None], strict=True):
        # The local header's extra field is not known yet: this end is the earliest possible.
        end = info.header_offset + _LOCAL_HEADER.size + len(_raw_name(info)) + info.compress_size
        if following is None:
            if end > size:
                raise _damaged(info, "its data runs past the end of the file")
        elif end > following.header_offset:
            raise ZipRefused(
                "zip_bomb",
                f"{_shown(info.filename)} and {_shown(following.filename)} share their compressed data, "
                "as zip bombs do.",
            )


def _raw_name(info: zipfile.ZipInfo) -> bytes:
    return info.orig_filename.encode("utf-8" if info.flag_bits & _UTF8_NAME else "cp437")


def _damaged(info: zipfile.ZipInfo, detail: str) -> ZipRefused:
    return ZipRefused(
        "not_a_zip", f"{_shown(info.filename)} is damaged in the zip: {detail}. Zip the files again."
    )


def _shown(name: str) -> str:
    return name if name and name.isprintable() else repr(name)
