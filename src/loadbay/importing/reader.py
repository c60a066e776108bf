"""Stream a stored CSV file row by row with physical line numbers, as spreadsheets export it."""

from __future__ import annotations

import csv
import io
import itertools
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from loadbay.kit.csvsniff import detect_delimiter, detect_encoding

# Wide enough for any real cell, small enough that one bad quote cannot swallow the whole file.
csv.field_size_limit(min(sys.maxsize, 16 * 1024 * 1024))


_UNDECODABLE = re.compile("[\udc80-\udcff]")


class FileRejected(Exception):
    """The file as a whole cannot be imported; the message names the line and what to fix."""


@dataclass
class Row:
    first_line: int
    last_line: int
    cells: list[str]


@dataclass
class Batch:
    """Consecutive data rows with their physical line numbers (a quoted cell may span lines)."""

    rows: list[list[str]]
    first_lines: list[int]
    last_lines: list[int]


@dataclass
class CsvStream:
    header: list[str]
    delimiter: str
    _reader: Iterator[list[str]]

    def batches(self, size: int) -> Iterator[Batch]:
        """Data rows, ``size`` at a time; blank lines are skipped but counted."""
        reader = self._reader
        previous: int = reader.line_num  # type: ignore[attr-defined]
        batch = Batch([], [], [])
        while True:
            try:
                # The hot loop of every import: keep it to C calls and list appends.
                for cells in reader:
                    current = reader.line_num  # type: ignore[attr-defined]
                    if "".join(cells).strip():
                        batch.rows.append(cells)
                        batch.first_lines.append(previous + 1)
                        batch.last_lines.append(current)
                        if len(batch.rows) >= size:
                            _check_decoded(batch)
                            yield batch
                            batch = Batch([], [], [])
                    previous = current
                break
            except csv.Error as exc:
                raise FileRejected(
                    f"Line {previous + 1}: malformed CSV ({exc}); check for an unclosed quote."
                ) from exc
        if batch.rows:
            _check_decoded(batch)
            yield batch

    @property
    def rows(self) -> Iterator[Row]:
        for batch in self.batches(1000):
            for cells, first, last in zip(batch.rows, batch.first_lines, batch.last_lines, strict=True):
                yield Row(first_line=first, last_line=last, cells=cells)


def _check_decoded(batch: Batch) -> None:
    # One scan of the whole batch; only a batch with an undecodable byte is searched row by row.
    if not _UNDECODABLE.search("".join(itertools.chain.from_iterable(batch.rows))):
        return
    for cells, first in zip(batch.rows, batch.first_lines, strict=True):
        if _UNDECODABLE.search("".join(cells)):
            raise FileRejected(f"Line {first}: the text cannot be decoded; save the file as 'CSV UTF-8'.")


def open_csv(binary: io.BufferedReader) -> CsvStream:
    """Read the header of ``binary`` and return it with an iterator over the data rows."""
    encoding, _bom = detect_encoding(binary.peek(4)[:4])
    # utf-8-sig / utf-16 consume the byte order mark themselves.
    text_encoding = {"utf-8": "utf-8-sig", "utf-16-le": "utf-16", "utf-16-be": "utf-16"}[encoding]
    # surrogateescape: an undecodable byte becomes a marker in its cell, so the error can name
    # its line instead of the 8 KiB chunk the decoder happened to be reading.
    text = io.TextIOWrapper(binary, encoding=text_encoding, errors="surrogateescape", newline="")
    first = text.readline()
    if not first:
        raise FileRejected("Line 1: the file is empty; it needs a header row.")
    if _UNDECODABLE.search(first):
        raise FileRejected("Line 1: the header cannot be decoded; save the file as 'CSV UTF-8'.")
    delimiter = detect_delimiter(first)
    # strict: an unclosed quote is an error, not a cell that silently swallows the rest of the file.
    reader = csv.reader(itertools.chain([first], text), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise FileRejected(f"Line 1: the header row is not valid CSV ({exc}).") from None
    header = [cell.strip().lstrip("\ufeff").strip() for cell in header]
    if not any(header):
        raise FileRejected("Line 1: the header row is blank; the first line must name the columns.")
    return CsvStream(header=header, delimiter=delimiter, _reader=reader)
