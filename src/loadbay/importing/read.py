"""Stage 1, read: a stored CSV file as batches of polars frames, each row with its physical line.

The bytes are read a block at a time; :mod:`scan` finds where the complete records of the
block end and the lines and fields of each, polars parses the same bytes into columns, and
the two must agree on the record count. Where they do not, or polars refuses the bytes (a
stray quote, an unclosed one, an undecodable byte), the rest of the file goes through
:mod:`csvtext`, which reads it as spreadsheets write it or names the line at fault. No Python
object is made per row on the native path.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, TypeVar

import polars as pl

from loadbay.importing import csvtext
from loadbay.importing.csvtext import FileRejected, undecodable
from loadbay.importing.scan import Records, scan_records
from loadbay.kit.csvsniff import detect_encoding

# Longer than any real record, short enough that a runaway quote cannot hold the whole file.
MAX_RECORD_BYTES = csvtext.MAX_FIELD_BYTES
_HEAD_BYTES = 64 * 1024
T = TypeVar("T")


@dataclass(frozen=True)
class Header:
    """What the first record tells: the column names as written, the delimiter, the encoding."""

    names: list[str]
    delimiter: str
    encoding: str
    # Physical lines the header takes (more than 1 only when a quoted name holds a newline).
    lines: int


@dataclass(frozen=True)
class Batch:
    """Consecutive data rows: their cells by column, and each row's first and last physical line.

    ``fields`` is how many fields the row really had; a row with more or fewer than the header
    has its cells cut or padded to the header's width, and the validator reports it.
    """

    frame: pl.DataFrame
    lines: pl.Series
    last_lines: pl.Series
    fields: pl.Series

    @property
    def height(self) -> int:
        return self.frame.height

    @property
    def last_line(self) -> int:
        """The last physical line of the batch's last row."""
        return int(self.last_lines[-1])

    def slice(self, offset: int, length: int | None = None) -> Batch:
        return Batch(
            self.frame.slice(offset, length),
            self.lines.slice(offset, length),
            self.last_lines.slice(offset, length),
            self.fields.slice(offset, length),
        )

    def filter(self, keep: pl.Series) -> Batch:
        return Batch(
            self.frame.filter(keep),
            self.lines.filter(keep),
            self.last_lines.filter(keep),
            self.fields.filter(keep),
        )


class _Source(io.RawIOBase):
    """Bytes as a readable raw stream: ``prefix`` first (bytes already taken off the front of
    ``binary``, put back), then the rest of ``binary``; UTF-16 turned into UTF-8 on the way."""

    def __init__(self, prefix: bytes, binary: BinaryIO, encoding: str = "utf-8") -> None:
        self._binary = binary
        self._decoder = (
            None if encoding == "utf-8" else codecs.getincrementaldecoder(encoding)(errors="strict")
        )
        self._pending = prefix if self._decoder is None else self._decode(prefix, final=False)
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = len(buffer)
        while len(self._pending) < size and not self._done:
            raw = self._binary.read(max(size, 1 << 16))
            self._done = not raw
            self._pending += raw if self._decoder is None else self._decode(raw, final=self._done)
        data, self._pending = self._pending[:size], self._pending[size:]
        buffer[: len(data)] = data
        return len(data)

    def _decode(self, raw: bytes, *, final: bool) -> bytes:
        assert self._decoder is not None
        try:
            return self._decoder.decode(raw, final=final).encode("utf-8")
        except UnicodeDecodeError as exc:
            raise FileRejected(
                "The text cannot be decoded as UTF-16; save the file as 'CSV UTF-8'.",
                line=None,
                code="undecodable",
            ) from exc


def _utf8(binary: BinaryIO) -> tuple[BinaryIO, bytes, str]:
    """``binary`` as UTF-8, the bytes already read off its front (byte order mark left out),
    and the encoding it was written in."""
    head = binary.read(4)
    encoding, bom = detect_encoding(head)
    if encoding == "utf-8":
        return binary, head[bom:], encoding
    # The utf-16 codec reads the byte order mark itself, to know the byte order.
    return io.BufferedReader(_Source(head, binary, "utf-16"), 1 << 20), b"", encoding


class CsvFile:
    """A stored CSV file opened for reading: its header, then its data rows in batches."""

    def __init__(self, binary: BinaryIO) -> None:
        self._binary, buffer, encoding = _utf8(binary)
        while True:
            chunk = self._binary.read(_HEAD_BYTES)
            buffer += chunk
            records = scan_records(buffer, delimiter=",")
            if records.count or not chunk or len(buffer) > MAX_RECORD_BYTES:
                break
        end = int(records.ends[0]) + 1 if records.count else len(buffer)
        header_text = buffer[:end]
        names, delimiter = csvtext.parse_header(header_text)
        self.header = Header(
            names=names,
            delimiter=delimiter,
            encoding=encoding,
            lines=int(records.line_counts[0]) if records.count else 1,
        )
        self._rest = buffer[end:]

    def batches(
        self, names: list[str], *, batch_bytes: int, batch_rows: int, even: bool = False
    ) -> Iterator[Batch]:
        """Data rows under ``names`` (one per header column), at most ``batch_rows`` and about
        ``batch_bytes`` at a time; blank rows are left out but their lines are counted.
        ``even``: a block longer than ``batch_rows`` is cut into slices of even sizes, not into
        ``batch_rows`` and a remainder."""
        delimiter = self.header.delimiter
        line = self.header.lines + 1
        buffer = self._rest
        self._rest = b""
        # One block read ahead, so a block is known to be the last before any of it is imported.
        coming = self._binary.read(batch_bytes)
        at_end = False
        while not at_end:
            buffer += coming
            coming = self._binary.read(batch_bytes) if coming else b""
            at_end = not coming
            if at_end and buffer and not buffer.endswith(b"\n"):
                # The last record, without its newline.
                buffer += b"\n"
            records = scan_records(buffer, delimiter=delimiter)
            if at_end and len(buffer) > records.end and buffer[records.end :].strip():
                # The file ends inside a quote: an unclosed one names its line, and nothing of this
                # block is imported; a stray quote the csv module reads as text reads on.
                csvtext.check_rows(
                    buffer[records.end :], first_line=line + _lines_in(records), delimiter=delimiter
                )
                yield from self._fallback(buffer, line, names, batch_rows)
                return
            if not records.count:
                if len(buffer) > MAX_RECORD_BYTES:
                    yield from self._fallback(buffer + coming, line, names, batch_rows)
                    return
                continue
            whole = buffer[: records.end]
            frame = _parse(whole, names, delimiter)
            if frame is None or frame.height != records.count:
                if frame is None and (bad := _undecodable_line(whole, records, line)) is not None:
                    raise undecodable(bad)
                yield from self._fallback(buffer + coming, line, names, batch_rows)
                return
            batch = _batch(frame, records, line)
            line += _lines_in(records)
            buffer = buffer[records.end :]
            yield from _sliced(batch, batch_rows, even=even)

    def rows_to_the_defect(self, names: list[str]) -> Iterator[Batch]:
        """Every row the csv module can read, in batches that stop before a defect (then
        FileRejected): for the copy kept of a file that failed, slow and rare."""
        rest, self._rest = self._rest, b""
        yield from self._fallback(rest, self.header.lines + 1, names, 10_000)

    def _fallback(self, buffer: bytes, line: int, names: list[str], batch_rows: int) -> Iterator[Batch]:
        """The rest of the file through the Python csv module: rows it reads, or the defect it names."""
        rest = io.BufferedReader(_Source(buffer, self._binary), 1 << 20)
        rows_read = csvtext.read_rows(
            rest, first_line=line, delimiter=self.header.delimiter, chunk_rows=batch_rows
        )
        for rows, lines, last, fields in rows_read:
            width = len(names)
            frame = pl.DataFrame(
                [(cells + [""] * width)[:width] for cells in rows],
                schema=dict.fromkeys(names, pl.Utf8),
                orient="row",
            )
            yield Batch(
                frame,
                pl.Series("line", lines, dtype=pl.Int64),
                pl.Series("last_line", last, dtype=pl.Int64),
                pl.Series("fields", fields, dtype=pl.Int64),
            )


def _lines_in(records: Records) -> int:
    """Physical lines the complete records take."""
    return int(records.first_line_offsets[-1] + records.line_counts[-1]) if records.count else 0


def _parse(data: bytes, names: list[str], delimiter: str) -> pl.DataFrame | None:
    try:
        return pl.read_csv(
            data,
            has_header=False,
            schema=dict.fromkeys(names, pl.String),
            separator=delimiter,
            quote_char='"',
            empty_string_is_null=False,
            missing_columns="insert",
            extra_columns="ignore",
            truncate_ragged_lines=True,
            raise_if_empty=False,
        )
    except (pl.exceptions.ComputeError, pl.exceptions.SchemaError, pl.exceptions.NoDataError):
        return None


def _undecodable_line(data: bytes, records: Records, line: int) -> int | None:
    """The first line of the record holding the first byte that is not UTF-8, if there is one."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        import numpy as np

        record = int(np.searchsorted(records.ends, exc.start))
        return line + int(records.first_line_offsets[min(record, records.count - 1)])
    return None


def _batch(frame: pl.DataFrame, records: Records, line: int) -> Batch:
    first = records.first_line_offsets + line
    batch = Batch(
        frame,
        pl.Series("line", first, dtype=pl.Int64),
        pl.Series("last_line", first + records.line_counts - 1, dtype=pl.Int64),
        pl.Series("fields", records.fields, dtype=pl.Int64),
    )
    # Only a short record can be blank (delimiters and spaces): only those are looked at.
    short = records.lengths <= 2 * max(frame.width, 1) + 2
    if not frame.width or not short.any():
        return batch
    candidates = pl.Series("short", short)
    blank = frame.select(
        pl.all_horizontal(pl.col(name).str.strip_chars() == "" for name in frame.columns) & candidates
    ).to_series()
    return batch.filter(~blank) if blank.any() else batch


def _sliced(batch: Batch, rows: int, *, even: bool) -> Iterator[Batch]:
    """``batch`` in slices of at most ``rows``; ``even``: as few as there can be, of even sizes (a
    block of 102,300 rows is three of 34,100, not two of 50,000 and one of 2,300 that costs a
    slice's fixed work for a few rows)."""
    count = -(-batch.height // rows)
    size, longer = divmod(batch.height, count) if even and count else (rows, 0)
    offset = 0
    for index in range(count):
        length = size + (index < longer)
        yield batch.slice(offset, length)
        offset += length


def open_stored(binary: BinaryIO) -> CsvFile:
    """Open ``binary`` (a stored upload) and read its header; FileRejected when it has none."""
    return CsvFile(binary)
