"""Stage 3, write: a batch's planned rows into their tables, set-based, against a staged frame.

A writer plans a :class:`TableWrite` per table: the new values of the columns the file has,
one row per key. Here that frame is ingested into a temporary table; one join against the
target says which rows are stored and which of those change; then one
``INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE <a column differs>`` writes the stored rows
that change and one plain ``INSERT … SELECT`` the new ones. An unchanged row is not rewritten.
A dry run stops after the join. The statements themselves are :mod:`statements`'. Writers that
need stored values for a rule (a password to verify, metadata to merge) read them with
``tables.lookup``, also through a staged frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from loadbay.importing.bulk import (
    POSTGRESQL,
    Attempt,
    BulkSession,
    Conflict,
    Ingest,
    Query,
    Refused,
    Step,
)
from loadbay.importing.statements import (
    appended,
    existing_rows,
    existing_steps,
    merge_parts,
    merge_steps,
    update_sql,
)
from loadbay.importing.tables import (
    ROW,
    Table,
    frame_of,
    key_join,
    quoted,
    stage_name,
    table_of,
)
from loadbay.models import Base

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
FAILED = "failed"
DEACTIVATED = "deactivated"
REMOVED = "removed"


@dataclass
class TableWrite:
    """Rows for one table from one batch: ``_row``, the key columns and the new values.

    A value column left out of ``frame`` keeps what is stored. ``insert_only`` columns are set
    when the row is created and kept when it exists; a null in a ``keep_when_null`` column keeps
    the stored value of that row only; ``keep_existing`` rows (a link) are never rewritten.
    The write that ``decides_outcome`` gives each row its outcome; another one (the group of a
    session) can only turn an unchanged row into an updated one.

    ``key``: another unique key of the table to match rows by (default: its first one).
    ``delete``: the frame holds keys only, and their stored rows are deleted (outcome
    ``removed``; a key with no stored row is ``unchanged``).
    """

    model: type[Base]
    frame: pl.DataFrame
    constants: dict[str, Any]
    insert_only: tuple[str, ...] = ()
    # Columns where a null means "keep what is stored" on that row (a blank password cell).
    keep_when_null: tuple[str, ...] = ()
    keep_existing: bool = False
    decides_outcome: bool = True
    key: tuple[str, ...] | None = None
    delete: bool = False
    table: Table = field(init=False)
    _appended: Ingest | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        table = table_of(self.model)
        self.table = table if self.key is None else table.keyed_by(self.key)

    def prepare(self, dialect: str) -> None:
        """Build the rows' append (see ``appended``) now: the planning stage does it, so the
        writing stage, which every batch waits on, only sends it."""
        self._appended = appended(dialect, self)

    def append(self, dialect: str) -> Ingest:
        return self._appended if self._appended is not None else appended(dialect, self)

    @property
    def values(self) -> list[str]:
        return [c for c in self.frame.columns if c != ROW and c not in self.table.key]

    @property
    def updatable(self) -> list[str]:
        return [c for c in self.values if c not in self.insert_only]

    @property
    def update_only(self) -> bool:
        """The frame lacks a column a new row needs (a partial update file): its rows can only
        update stored ones, by ``UPDATE … FROM``; an upsert would fail on the NOT NULL column even
        for a row that exists. The writer has failed every row that would create."""
        given = {*self.frame.columns, *self.constants, self.table.scope, *self.table.key}
        return bool(self.table.required - given)


def _outcome(*, created: pl.Expr, updated: pl.Expr) -> pl.Expr:
    return (
        pl.when(created)
        .then(pl.lit(CREATED))
        .when(updated)
        .then(pl.lit(UPDATED))
        .otherwise(pl.lit(UNCHANGED))
        .alias("outcome")
    )


def returned_outcomes(write: TableWrite, returned: Any) -> pl.DataFrame:
    """Per ``_row`` of ``write``: created, updated or unchanged, from the keys the upsert
    returned (``inserted`` true or false); a key it did not return was unchanged."""
    key = list(write.table.key)
    found = (
        frame_of(returned).select(*key, pl.col("inserted").cast(pl.Boolean)).cast(dict.fromkeys(key, pl.Utf8))
    )
    joined = (
        write.frame.select(ROW, *key)
        .cast(dict.fromkeys(key, pl.Utf8))
        .join(found, on=key, how="left", maintain_order="left")
    )
    inserted = pl.col("inserted")
    return joined.select(ROW, _outcome(created=inserted.fill_null(False), updated=~inserted.fill_null(True)))


def _merged_postgresql(
    bulk: BulkSession, write: TableWrite, *, stage: str, begin: bool, stored: set[str]
) -> pl.DataFrame:
    """PostgreSQL's way: one upsert whose ``RETURNING`` names the keys it created or updated
    (there a join that classifies first costs more than returning the keys, measured in
    docs/engine.md, and one statement sees rows other imports commit meanwhile).

    (``written`` tries an initial load's batches as a plain append first.)
    """
    merge = merge_parts(POSTGRESQL, write, stage=stage)
    returning = ", ".join(quoted(k) for k in write.table.key)
    # A row the upsert inserted has no deleting transaction yet (xmax 0); one it updated has.
    upsert = Query(
        f"{merge.insert} WHERE true {merge.conflict} RETURNING {returning}, (xmax = 0) AS inserted"
    )
    steps: list[Step] = [Ingest(stage, write.frame.to_arrow())]
    if write.update_only:
        keys = ", ".join(f"t.{quoted(k)}" for k in write.table.key)
        update = Query(
            update_sql(POSTGRESQL, write, stage=stage, returning=f" RETURNING {keys}, false AS inserted")
        )
        return returned_outcomes(write, bulk.run([*steps, update], begin=begin)[-1])
    return returned_outcomes(write, bulk.run([*steps, upsert], begin=begin)[-1])


def outcomes_of(write: TableWrite, existing: pl.DataFrame) -> pl.DataFrame:
    """Per ``_row`` of ``write``: created (not stored), updated (stored and changed) or unchanged."""
    joined = write.frame.select(ROW).join(existing, on=ROW, how="left", maintain_order="left")
    changed = pl.col("changed")
    return joined.select(ROW, _outcome(created=changed.is_null(), updated=changed))


def written(
    bulk: BulkSession,
    writes: list[TableWrite],
    *,
    write: bool,
    stored: set[str],
    in_transaction: bool = False,
) -> list[pl.DataFrame]:
    """Each write's (_row, outcome), written in a transaction left open for the checkpoint (the
    first write opens it unless ``in_transaction``), or (a dry run, the check pass of
    onError=abort) only classified against what is stored.

    ``stored``: the tables where this import has met a stored row. Until it has (an initial
    load), each batch is first appended straight into its table by bulk ingest, the way the
    database loads fastest; the unique key refuses it at the first stored row, and then the
    batch, and every later one, is staged and merged. The refused attempt is undone alone.
    """
    dialect = bulk.dialect
    outcomes = []
    for i, w in enumerate(writes):
        stage = f"lb_stage_{i}"
        # One write after the other: a later write may read what an earlier one wrote.
        begin = write and i == 0 and not in_transaction
        if w.delete:
            outcomes.append(_deleted(bulk, w, stage=stage, write=write, begin=begin))
            continue
        if write and w.table.name not in stored and not w.update_only:
            applied = bulk.run([Attempt(w.append(dialect))], begin=begin)[-1]
            if frame_of(applied)["ok"][0]:
                outcomes.append(w.frame.select(ROW, pl.lit(CREATED).alias("outcome")))
                continue
            stored.add(w.table.name)
            begin = False
        if write and dialect == POSTGRESQL:
            outcomes.append(_merged_postgresql(bulk, w, stage=stage, begin=begin, stored=stored))
            continue
        existing = existing_rows(bulk.run(existing_steps(dialect, w, stage=stage), begin=begin)[-1])
        if write:
            try:
                bulk.run(merge_steps(dialect, w, stage=stage, existing=existing))
            except Refused as exc:
                raise Conflict(f"another import changed these rows meanwhile: {exc}") from exc
        outcomes.append(outcomes_of(w, existing))
    return outcomes


def _deleted(bulk: BulkSession, keys: TableWrite, *, stage: str, write: bool, begin: bool) -> pl.DataFrame:
    """Delete the stored rows of ``keys``' keys (or, not writing, find them): per ``_row``,
    removed, or unchanged where nothing was stored."""
    table = keys.table
    dialect = bulk.dialect
    frame = keys.frame.select(ROW, *table.key)
    staged = stage_name(dialect, stage)
    scope_value = keys.constants[table.scope]
    if write:
        # Unqualified: SQLite's RETURNING does not take the table's alias.
        returning = ", ".join(quoted(k) for k in table.key)
        sql = (
            f"DELETE FROM {quoted(table.name)} AS t WHERE EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {staged} AS s WHERE {key_join(table, 't', 's', scope_value)}) "
            f"RETURNING {returning}"
        )
        returned = frame_of(bulk.run([Ingest(stage, frame.to_arrow()), Query(sql)], begin=begin)[-1])
        found = frame.join(
            returned.cast(dict.fromkeys(table.key, pl.Utf8)).unique(),
            on=list(table.key),
            how="semi",
        )[ROW]
    else:
        found = existing_rows(bulk.run(existing_steps(dialect, keys, stage=stage))[-1])[ROW]
    removed = pl.col(ROW).is_in(found.implode())
    return frame.select(
        ROW, pl.when(removed).then(pl.lit(REMOVED)).otherwise(pl.lit(UNCHANGED)).alias("outcome")
    )
