"""The Python csv module, where the native reader needs it: the header row, and the rest of a
file the native reader refuses, to read it as spreadsheets write it or to name the line at fault.

The module's own reader is exact about quoting (a quote in the middle of an unquoted cell is
text, an unclosed one is an error) and counts physical lines; it is slow, so it only ever
reads a header line or a file with a defect.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Iterator
from typing import BinaryIO

from loadbay.kit.csvsniff import detect_delimiter

# Wide enough for any real cell, small enough that one bad quote cannot swallow the whole file.
MAX_FIELD_BYTES = 16 * 1024 * 1024
csv.field_size_limit(min(sys.maxsize, MAX_FIELD_BYTES))

_UNDECODABLE = re.compile("[\udc80-\udcff]")
_ROWS_PER_CHUNK = 10_000


class FileRejected(Exception):
    """The file as a whole cannot be imported: the line at fault, a code (messages.CODES) and
    what to fix; shown as the seed's ``Line N: text``."""

    def __init__(self, text: str, *, line: int | None = 1, code: str) -> None:
        super().__init__(f"Line {line}: {text}" if line is not None else text)
        self.text = text
        self.line = line
        self.code = code


def undecodable(line: int) -> FileRejected:
    return FileRejected(
        "the text cannot be decoded; save the file as 'CSV UTF-8'.", line=line, code="undecodable"
    )


def parse_header(data: bytes) -> tuple[list[str], str]:
    """The column names of a header record (UTF-8 bytes, BOM already gone) and its delimiter."""
    text = data.decode("utf-8", errors="surrogateescape")
    if not text:
        raise FileRejected("the file is empty; it needs a header row.", code="empty_file")
    if _UNDECODABLE.search(text):
        raise FileRejected("the header cannot be decoded; save the file as 'CSV UTF-8'.", code="undecodable")
    delimiter = detect_delimiter(text.split("\n", 1)[0])
    try:
        cells = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except (StopIteration, csv.Error) as exc:
        raise FileRejected(f"the header row is not valid CSV ({exc}).", code="invalid_header") from None
    names = [cell.strip().lstrip("\ufeff").strip() for cell in cells]
    if not any(names):
        raise FileRejected(
            "the header row is blank; the first line must name the columns.", code="blank_header"
        )
    return names, delimiter


def check_rows(data: bytes, *, first_line: int, delimiter: str) -> None:
    """Raise FileRejected if the records of ``data`` (from line ``first_line``) are not valid CSV."""
    for _chunk in read_rows(io.BytesIO(data), first_line=first_line, delimiter=delimiter):
        pass


def read_rows(
    binary: BinaryIO, *, first_line: int, delimiter: str, chunk_rows: int = _ROWS_PER_CHUNK
) -> Iterator[tuple[list[list[str]], list[int], list[int], list[int]]]:
    """Data rows of ``binary`` (UTF-8, from a record's start on line ``first_line``) in chunks of
    (cells, first lines, last lines, field counts); blank rows are skipped but counted.

    Raises FileRejected naming the line of an unclosed quote or of an undecodable byte.
    """
    # surrogateescape: an undecodable byte becomes a marker in its cell, so the error can name
    # its line instead of the chunk the decoder happened to be reading.
    text = io.TextIOWrapper(binary, encoding="utf-8", errors="surrogateescape", newline="")
    # strict: an unclosed quote is an error, not a cell that silently swallows the rest of the file.
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    offset = first_line - 1
    previous = 0
    rows: list[list[str]] = []
    firsts: list[int] = []
    lasts: list[int] = []
    try:
        for cells in reader:
            current = reader.line_num
            if "".join(cells).strip():
                if _UNDECODABLE.search("".join(cells)):
                    raise undecodable(offset + previous + 1)
                rows.append(cells)
                firsts.append(offset + previous + 1)
                lasts.append(offset + current)
                if len(rows) >= chunk_rows:
                    yield rows, firsts, lasts, [len(cells) for cells in rows]
                    rows, firsts, lasts = [], [], []
            previous = current
    except csv.Error as exc:
        raise FileRejected(
            f"malformed CSV ({exc}); check for an unclosed quote.",
            line=offset + previous + 1,
            code="malformed_csv",
        ) from exc
    if rows:
        yield rows, firsts, lasts, [len(cells) for cells in rows]
