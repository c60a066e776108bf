"""The statements a write runs against a staged batch: classify it against the stored rows,
upsert what changes, insert what is new, update in place, or append straight into the table.

Identifiers are quoted and the only values inlined are Loadbay's own constants (see
``tables.literal``); the rows themselves travel as Arrow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from loadbay.importing.bulk import POSTGRESQL, SQLITE, Execute, Ingest, Query, Refused, Step
from loadbay.importing.tables import (
    POLARS_TIME,
    ROW,
    STORED_TIME,
    Table,
    distinct_from,
    frame_of,
    key_join,
    literal,
    quoted,
    stage_name,
)

if TYPE_CHECKING:
    from loadbay.importing.write import TableWrite


def _value(dialect: str, table: Table, column: str, alias: str) -> str:
    """A staged column as the target column's type (PostgreSQL will not put text into a timestamp)."""
    ref = f"{alias}.{quoted(column)}"
    return f"CAST({ref} AS {table.sql[column]})" if dialect == POSTGRESQL else ref


def _set(target: str, column: str, *, keep: bool) -> str:
    new = f"excluded.{quoted(column)}"
    value = f"COALESCE({new}, {target}.{quoted(column)})" if keep else new
    return f"{quoted(column)} = {value}"


def _change(dialect: str, stored: str, new: str, *, keep: bool) -> str:
    """Whether ``new`` changes ``stored`` (null-aware; with ``keep``, a null changes nothing)."""
    differs = f"{stored} {distinct_from(dialect)} {new}"
    return f"({new} IS NOT NULL AND {differs})" if keep else differs


def _staged_changes(dialect: str, write: TableWrite, columns: list[str]) -> str:
    """Whether the staged row ``s`` changes a column of ``columns`` of the stored row ``t``."""
    table, keep = write.table, write.keep_when_null
    changes = [
        _change(dialect, f"t.{quoted(c)}", _value(dialect, table, c, "s"), keep=c in keep) for c in columns
    ]
    return " OR ".join(changes) or "false"


def existing_steps(dialect: str, write: TableWrite, *, stage: str) -> list[Step]:
    """Stage ``write``; the last step returns ``_row`` and ``changed`` for each staged row whose
    key is stored already (a row it does not return is new)."""
    table = write.table
    target = quoted(table.name)
    staged = stage_name(dialect, stage)
    scope_value = write.constants[table.scope]
    differs = _staged_changes(dialect, write, write.updatable if not write.keep_existing else [])
    sql = (
        f"SELECT s.{quoted(ROW)} AS {quoted(ROW)}, ({differs}) AS changed FROM {staged} AS s "  # noqa: S608
        f"JOIN {target} AS t ON {key_join(table, 't', 's', scope_value)}"
    )
    return [Ingest(stage, write.frame.to_arrow()), Query(sql)]


def update_sql(dialect: str, write: TableWrite, *, stage: str, returning: str = "") -> str:
    """``UPDATE … FROM`` the staged rows: the stored rows of ``write`` that change, and only those."""
    table = write.table
    constants = write.constants
    sets = [
        f"{quoted(c)} = "
        + (
            f"COALESCE({_value(dialect, table, c, 's')}, t.{quoted(c)})"
            if c in write.keep_when_null
            else _value(dialect, table, c, "s")
        )
        for c in write.updatable
    ]
    sets += [
        f"{quoted(c)} = {literal(v)}" for c, v in constants.items() if c not in ("created_at", table.scope)
    ]
    differs = _staged_changes(dialect, write, write.updatable)
    return (
        f"UPDATE {quoted(table.name)} AS t SET {', '.join(sets)} FROM {stage_name(dialect, stage)} AS s "  # noqa: S608
        f"WHERE {key_join(table, 't', 's', constants[table.scope])} AND ({differs}){returning}"
    )


def existing_rows(result: Any) -> pl.DataFrame:
    """``existing_steps``' answer as a frame: ``_row`` (Int64), ``changed`` (Boolean)."""
    return frame_of(result).select(pl.col(ROW).cast(pl.Int64), pl.col("changed").cast(pl.Boolean))


@dataclass(frozen=True)
class Merge:
    """The pieces of the statements that write a staged ``TableWrite``."""

    insert: str  # INSERT INTO target (...) SELECT ... FROM stage AS s
    stored: str  # SELECT 1 FROM target AS t WHERE <t's key is s's>
    conflict: str  # ON CONFLICT (...) DO UPDATE SET ... WHERE <a column differs>, or DO NOTHING
    updates: bool


def merge_parts(dialect: str, write: TableWrite, *, stage: str) -> Merge:
    table = write.table
    target = quoted(table.name)
    constants = write.constants
    columns = [*table.key, *write.values]
    names = ", ".join(quoted(c) for c in [*columns, *constants])
    selected = ", ".join(
        [_value(dialect, table, c, "s") for c in columns] + [literal(v) for v in constants.values()]
    )
    target_key = "(" + ", ".join(quoted(c) for c in (table.scope, *table.key)) + ")"
    if table.key_is_partial:
        # The conflict target of a partial unique index names its condition.
        target_key += " WHERE " + " AND ".join(f"{quoted(c)} IS NOT NULL" for c in table.key)
    updates = bool(write.updatable) and not write.keep_existing
    action = "DO NOTHING"
    if updates:
        refreshed = [c for c in constants if c not in ("created_at", table.scope)]
        sets = ", ".join(
            [_set(target, c, keep=c in write.keep_when_null) for c in write.updatable]
            + [f"{quoted(c)} = excluded.{quoted(c)}" for c in refreshed]
        )
        differs = " OR ".join(
            _change(dialect, f"{target}.{quoted(c)}", f"excluded.{quoted(c)}", keep=c in write.keep_when_null)
            for c in write.updatable
        )
        action = f"DO UPDATE SET {sets} WHERE {differs}"
    # Identifiers are quoted and the only values are Loadbay's own constants (see literal()).
    return Merge(
        insert=f"INSERT INTO {target} ({names}) SELECT {selected} FROM {stage_name(dialect, stage)} AS s",  # noqa: S608
        stored=f"SELECT 1 FROM {target} AS t WHERE {key_join(table, 't', 's', constants[table.scope])}",  # noqa: S608
        conflict=f"ON CONFLICT {target_key} {action}",
        updates=updates,
    )


def appended(dialect: str, write: TableWrite) -> Ingest:
    """``write``'s rows as new rows of its table, appended by bulk ingest straight into it (binary
    COPY on PostgreSQL): the database's own bulk load, with no staging. A unique key refuses it
    at the first stored row."""
    table = write.table

    def typed(value: pl.Expr, name: str) -> pl.Expr:
        kind = table.exact[name]
        if kind == pl.Datetime("us"):
            # Timestamps travel as text (see table_of); SQLite stores them so.
            text = value.cast(pl.Utf8)
            return text if dialect == SQLITE else text.str.to_datetime(POLARS_TIME, time_unit="us")
        return value.cast(kind)

    constants = pl.select(
        typed(pl.lit(value.strftime(STORED_TIME) if isinstance(value, datetime) else value), name).alias(name)
        for name, value in write.constants.items()
    )
    frame = write.frame.select(typed(pl.col(c), c) for c in write.frame.columns if c != ROW)
    return Ingest(table.name, frame.to_arrow(), temporary=False, constants=constants.to_arrow())


def merge_steps(dialect: str, write: TableWrite, *, stage: str, existing: pl.DataFrame) -> list[Step]:
    """Write the staged ``write``, knowing which of its rows are stored (``existing``, from
    ``existing_steps``): one upsert of the stored rows that change, one plain insert of the new.

    SQLite's way: returning every key of a batch cost as much as writing it, and a plain
    ``INSERT`` skips the conflict check per row (measured in docs/engine.md). Each statement
    must change exactly the rows counted, or the transaction is undone and the batch retried;
    SQLite's write lock, held from the classification on, keeps other writers out meanwhile.
    """
    merge = merge_parts(dialect, write, stage=stage)
    steps: list[Step] = []
    changed = int(existing["changed"].sum()) if merge.updates else 0
    new = write.frame.height - existing.height
    if write.update_only:
        if new:
            # The writer failed the rows that would create; one appeared (deleted meanwhile?).
            raise Refused(f"{new} row(s) to create lack a mandatory column")
        return [Execute(update_sql(dialect, write, stage=stage), expect=changed)] if changed else []
    if changed:
        # Only stored rows (every row stored: no check); the new ones are the plain insert's.
        only = "true" if existing.height == write.frame.height else f"EXISTS ({merge.stored})"
        steps.append(Execute(f"{merge.insert} WHERE {only} {merge.conflict}", expect=changed))
    if new:
        # Nothing stored: every staged row is new, no existence check per row.
        sql = merge.insert if not existing.height else f"{merge.insert} WHERE NOT EXISTS ({merge.stored})"
        steps.append(Execute(sql, expect=new))
    return steps
