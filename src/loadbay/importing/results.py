"""The per-row result file, and the password-free copy of the upload kept after processing.

Both are written one batch at a time as numbered parts in object storage, in step with the
batch commits, so a worker that takes an import over after a crash keeps the parts of the
batches already committed. The parts are assembled into one file when the import ends.
A batch is written as one polars CSV write, not row by row.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING

import polars as pl

from loadbay.importing.objects import part_key
from loadbay.kit.cells import safe_cell, safe_cell_expr
from loadbay.kit.storage import ObjectStorage

if TYPE_CHECKING:
    from loadbay.importing.shape import Shape

RESULT_COLUMNS = ["line", "outcome", "key", "messages"]
_CRLF = "\r\n"


class PartWriter:
    """CSV rows spooled to a temporary file for one part, stored as part N, assembled with a
    header at the end. A part's rows wait on disk, not in memory, until it is stored.

    While this writer stores parts 1..N in order (an import no one took over), it also appends
    each one to a local copy of the whole file, header first; the ending stores that copy as it
    is instead of reading every part back (docs/engine.md).
    """

    def __init__(
        self, storage: ObjectStorage, *, prefix: str, header: list[str], delimiter: str = ","
    ) -> None:
        self._storage = storage
        self.prefix = prefix
        self._delimiter = delimiter
        self._spool: IO[bytes] | None = None
        self.header = header
        # The header and parts 1.._through (None before the first part); once a part comes out
        # of order, _through is -1 for good and the whole file is dropped.
        self._whole: IO[bytes] | None = None
        self._through = 0

    @property
    def pending(self) -> bool:
        """Whether rows were written since the last flush."""
        return self._spool is not None

    def _file(self) -> IO[bytes]:
        if self._spool is None:
            self._spool = tempfile.NamedTemporaryFile(suffix=".csv", dir=self._storage.scratch)  # noqa: SIM115 (closed by flush)
        return self._spool

    def _line(self, row: list[str]) -> bytes:
        line = io.StringIO()
        csv.writer(line, delimiter=self._delimiter, lineterminator=_CRLF).writerow(row)
        return line.getvalue().encode("utf-8")

    def writerow(self, row: list[str]) -> None:
        self._file().write(self._line(row))

    def write_frame(self, frame: pl.DataFrame) -> None:
        """Every row of ``frame`` (all Utf8 columns, in header order) in one go."""
        spool = self._file()
        if frame.height:
            # polars quotes an empty string ("") to tell it from null; a blank cell is written bare.
            frame = frame.with_columns(pl.col(pl.Utf8).replace("", None))
            frame.write_csv(spool, include_header=False, separator=self._delimiter, line_terminator=_CRLF)

    def part_key(self, number: int) -> str:
        return part_key(self.prefix, number)

    def flush(self, number: int) -> None:
        """Store the rows written since the last flush as part ``number`` (maybe none)."""
        spool, self._spool = self._file(), None
        with spool:
            spool.flush()
            self._storage.put_file(self.part_key(number), Path(spool.name))
            self._extend_whole(spool, number)

    def _extend_whole(self, part: IO[bytes], number: int) -> None:
        """Append the stored part to the local whole file, while the parts come in order."""
        if number != self._through + 1:
            # Out of order (the second pass of onError=abort starts at 1 again): the ending
            # assembles the stored parts.
            self.close()
            self._through = -1
            return
        if self._whole is None:
            self._whole = tempfile.NamedTemporaryFile(suffix=".csv", dir=self._storage.scratch)  # noqa: SIM115 (closed by close)
            self._whole.write(self._line(self.header))
            self._whole.flush()
        _append(part, self._whole)
        self._through = number

    def assemble(self, *, parts: int, key: str) -> None:
        """Write the header and parts 1..``parts`` to ``key``.

        The parts stay: readers follow a running import through them until the commit that
        names it finished, and a worker that takes over after a crash here assembles them again.
        The import deletes its work folder once that commit is done.
        """
        if self._whole is not None and parts and self._through == parts:
            self._whole.flush()
            self._storage.put_file(key, Path(self._whole.name))
            # A local store may hold it as another name of the same file: it is not added to again.
            self.close()
            return
        with tempfile.NamedTemporaryFile(suffix=".csv", dir=self._storage.scratch) as spool:
            self.write_to(spool, first=1, last=parts)
            spool.flush()
            self._storage.put_file(key, Path(spool.name))

    def write_to(self, out: IO[bytes], *, first: int, last: int) -> None:
        """The header and parts ``first``..``last`` (a bundle's file's share of the parts) into ``out``."""
        out.write(self._line(self.header))
        for number in range(first, last + 1):
            with self._storage.open(self.part_key(number)) as part:
                shutil.copyfileobj(part, out, 1024 * 1024)

    def close(self) -> None:
        """Drop the local whole file (the stored parts stay)."""
        if self._whole is not None:
            self._whole.close()
            self._whole = None


def _append(part: IO[bytes], whole: IO[bytes]) -> None:
    """``part`` at the end of ``whole``: kernel to kernel where the system can, so the bytes do
    not pass through this process's memory."""
    whole.flush()
    start = whole.seek(0, os.SEEK_END)
    part.seek(0)
    try:
        offset = start
        while copied := os.copy_file_range(part.fileno(), whole.fileno(), 1 << 30, offset_dst=offset):
            offset += copied
        whole.seek(offset)
    except (AttributeError, OSError):
        # No copy_file_range here (not Linux, an old kernel): through Python, from the start.
        whole.truncate(start)
        whole.seek(start)
        part.seek(0)
        shutil.copyfileobj(part, whole, 1024 * 1024)


class ResultWriter(PartWriter):
    """line, outcome, key, messages, then the file's own columns except the secret ones."""

    def __init__(
        self, storage: ObjectStorage, *, prefix: str, columns: list[str], secret: frozenset[str]
    ) -> None:
        self._kept = [name for name in columns if name not in secret]
        self._keep = [i for i, name in enumerate(columns) if name not in secret]
        super().__init__(storage, prefix=prefix, header=RESULT_COLUMNS + self._kept)

    def write(self, *, line: int, outcome: str, key: str, messages: list[str], cells: list[str]) -> None:
        kept = [cells[i] if i < len(cells) else "" for i in self._keep]
        self.writerow(
            [str(line), outcome, safe_cell(key), safe_cell(" | ".join(messages))]
            + [safe_cell(cell) for cell in kept]
        )

    def write_batch(
        self,
        *,
        lines: pl.Series,
        outcomes: pl.Series,
        keys: pl.Series,
        messages: pl.Series,
        frame: pl.DataFrame,
    ) -> None:
        """One row per row of ``frame`` (the batch's cells, by column name)."""
        result = pl.DataFrame(
            {"line": lines, "outcome": outcomes, "key": keys, "messages": messages},
            schema={"line": pl.Int64, "outcome": pl.Utf8, "key": pl.Utf8, "messages": pl.Utf8},
        ).hstack(frame.select(self._kept))
        texts = [name for name in result.columns if name != "line"]
        self.write_frame(result.with_columns(safe_cell_expr(pl.col(name)).alias(name) for name in texts))


class RedactedCopy(PartWriter):
    """The upload as received, with every secret cell blanked (blank keeps the stored password)."""

    def __init__(
        self,
        storage: ObjectStorage,
        *,
        prefix: str,
        header: list[str],
        secret_indexes: list[int],
        delimiter: str,
    ) -> None:
        super().__init__(storage, prefix=prefix, header=header, delimiter=delimiter)
        self._secret = secret_indexes

    def write(self, cells: list[str]) -> None:
        if self._secret:
            cells = list(cells)
            for index in self._secret:
                if index < len(cells):
                    cells[index] = ""
        self.writerow(cells)

    def write_batch(self, frame: pl.DataFrame) -> None:
        """The batch's cells (columns in file order) with the secret columns blanked."""
        secret = [frame.columns[i] for i in self._secret]
        self.write_frame(frame.with_columns(pl.lit("").alias(name) for name in secret))


def result_writer(storage: ObjectStorage, prefix: str, shape: Shape) -> ResultWriter:
    """The result parts of a file of ``shape`` under ``prefix``."""
    return ResultWriter(storage, prefix=prefix, columns=shape.header, secret=shape.import_type.secret_columns)


def redacted_copy(storage: ObjectStorage, prefix: str, shape: Shape) -> RedactedCopy | None:
    """The parts of the kept copy of a file of ``shape`` under ``prefix``; None when the file has
    nothing to hide (it is kept as it came)."""
    if not shape.secret_indexes and shape.import_type.mask is None:
        return None
    return RedactedCopy(
        storage,
        prefix=prefix,
        header=shape.header_as_written,
        secret_indexes=shape.secret_indexes,
        delimiter=shape.delimiter,
    )
