"""Stage 2, validate: what can be said of a batch without the database.

A row with more or fewer fields than the header gets one message and nothing else: its cells
are cut or padded, so they are not checked and its key is not remembered (a correct row with
that key later is no repeat). The other rows get their columns' checks (a row that only takes its
record away, those of its key), and a key already seen
on an earlier line (in this batch or an earlier one) is an error on the later row. The result
is the batch, its messages as a frame, and each row's key as text for the result file.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from loadbay.importing.columns import column_findings
from loadbay.importing.keys import KeyIndex
from loadbay.importing.messages import Finding, error_rows, found, ordered
from loadbay.importing.read import Batch
from loadbay.importing.registry import ImportType


@dataclass(frozen=True)
class Checked:
    batch: Batch
    # The batch's messages so far, by row (its index in the batch).
    messages: pl.DataFrame
    # Each row's key as the result file shows it (masked like the cells): "" when it has none.
    keys: pl.Series
    # The cells as they may be echoed: the batch's frame through the type's mask.
    shown: pl.DataFrame

    @property
    def failed(self) -> pl.Series:
        """Rows that already have an error: they go no further than the result file."""
        rows = error_rows(self.messages)
        return pl.int_range(self.batch.height, eager=True, dtype=pl.Int64).is_in(rows.implode())


def row_keys(frame: pl.DataFrame, key_columns: tuple[str, ...]) -> pl.Series:
    """Each row's natural key as text (parts joined by " / "); empty when any part is blank."""
    parts = [pl.col(name).str.strip_chars() for name in key_columns]
    blank = pl.any_horizontal(part.str.len_chars() == 0 for part in parts)
    key = pl.when(blank).then(pl.lit("")).otherwise(pl.concat_str(parts, separator=" / "))
    return frame.select(key.alias("key")).to_series()


class Validator:
    """Checks the batches of one file in order; remembers the keys it has seen."""

    def __init__(self, import_type: ImportType, present: frozenset[str]) -> None:
        self.import_type = import_type
        self.findings = column_findings(import_type.columns, present)
        self.seen = KeyIndex()
        self.removal = import_type.removal(present) if import_type.removal is not None else None

    def remember(self, batch: Batch) -> None:
        """Rows done before a crash: only their keys matter, for the repeats that follow. The
        same keys as ``check`` indexes, so that a resumed import says what an uninterrupted one does."""
        frame = batch.frame
        mask = self.import_type.mask
        keys = row_keys(mask(frame) if mask is not None else frame, self.import_type.key_columns)
        self.seen.first_lines(_indexed(keys, batch), batch.lines)

    def check(self, batch: Batch) -> Checked:
        frame = batch.frame
        width = frame.width
        mask = self.import_type.mask
        shown = mask(frame) if mask is not None else frame
        ragged = (batch.fields != width).alias("ragged")
        ragged_text = pl.format(
            "the row has {} fields but the header has {}; "
            "check for a missing or extra delimiter or an unclosed quote",
            pl.lit(batch.fields),
            pl.lit(width),
        )
        reader = found(frame, [Finding(None, "ragged_row", pl.when(ragged).then(ragged_text))])
        columns = found(frame, self.findings)
        if reader.height:
            # A ragged row's cells are cut or padded: checking them would only add noise.
            columns = columns.filter(~pl.col("row").is_in(reader["row"].implode()))
        if self.removal is not None and columns.height:
            removing = frame.select(self.removal.fill_null(False)).to_series()
            if removing.any():
                rows = pl.int_range(frame.height, eager=True, dtype=pl.Int64).filter(removing)
                kept = list(self.import_type.removal_columns)
                columns = columns.filter(
                    ~(pl.col("row").is_in(rows.implode()) & ~pl.col("column").is_in(kept))
                )
        keys = row_keys(shown, self.import_type.key_columns)
        first = self.seen.first_lines(_indexed(keys, batch), batch.lines)
        repeat = found(
            pl.DataFrame({"key": keys, "first": first}),
            [
                Finding(
                    self.import_type.key_label,
                    "duplicate_key",
                    pl.when(pl.col("first").is_not_null()).then(
                        pl.format("'{}' already appears on line {}", "key", "first")
                    ),
                )
            ],
        )
        return Checked(batch=batch, messages=ordered(reader, columns, repeat), keys=keys, shown=shown)


def _indexed(keys: pl.Series, batch: Batch) -> pl.Series:
    """The keys the duplicate index sees: none for a row without one or a ragged row."""
    whole = batch.fields == batch.frame.width
    return pl.select(pl.when(whole).then(keys.replace("", None)).alias(keys.name)).to_series()
