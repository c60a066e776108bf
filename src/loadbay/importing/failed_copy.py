"""The copy of a failed import's upload that Loadbay keeps: never a clear password or card number."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from contextlib import suppress

import polars as pl

from loadbay.importing.reader import CsvStream, FileRejected, open_csv
from loadbay.importing.registry import ImportType, detect
from loadbay.importing.results import RedactedCopy
from loadbay.kit.storage import ObjectStorage


def store_failed_copy(
    storage: ObjectStorage,
    *,
    source_key: str,
    final_key: str,
    work_prefix: str,
    import_type: ImportType | None,
    scope: str,
) -> None:
    """Keep a rejected upload at ``final_key``, blanking any column whose name says it holds a
    password, and masking what ``import_type`` (or the type its header fits) masks."""
    with storage.open(source_key) as source:
        try:
            stream: CsvStream | None = open_csv(source)
        except FileRejected:
            stream = None
        secret = [i for i, name in enumerate(stream.header) if "password" in name.lower()] if stream else []
        # A type that masks cells (card numbers) masks them in this copy too.
        known = stream and (import_type or detect(stream.header, scope=scope))
        mask = known.mask if known else None
        if stream is None or not (secret or mask):
            storage.copy(source_key, final_key)
            return
        copy = RedactedCopy(
            storage,
            prefix=work_prefix,
            header=stream.header,
            secret_indexes=secret,
            delimiter=stream.delimiter,
        )
        # Rows past a line the reader cannot parse are dropped rather than kept unredacted.
        with suppress(FileRejected):
            if mask is None:
                for row in stream.rows:
                    copy.write(row.cells)
            else:
                rows = (row.cells for row in stream.rows)
                # Masked a chunk at a time; a chunk with an unparsable line is dropped whole.
                while chunk := list(itertools.islice(rows, 10_000)):
                    for cells in _masked(mask, chunk):
                        copy.write(cells)
        copy.flush(1)
        copy.assemble(parts=1, key=final_key)


def _masked(mask: Callable[[pl.DataFrame], pl.DataFrame], rows: list[list[str]]) -> list[list[str]]:
    """Rows of a rejected file through the type's mask; ragged rows keep their own length."""
    width = max(len(cells) for cells in rows)
    names = [f"_{i}" for i in range(width)]
    padded = [cells + [""] * (width - len(cells)) for cells in rows]
    frame = mask(pl.DataFrame(padded, schema=dict.fromkeys(names, pl.Utf8), orient="row"))
    return [list(masked[: len(cells)]) for cells, masked in zip(rows, frame.iter_rows(), strict=True)]
