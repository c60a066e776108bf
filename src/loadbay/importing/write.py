"""Stage 3, write: a batch's planned rows into their tables, set-based, against a staged frame.

A writer plans a :class:`TableWrite` per table: the new values of the columns the file has,
one row per key. Here that frame is ingested into a temporary table and merged with one
``INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE <a column differs> RETURNING`` — the rows
it returns were created or updated, the rest were unchanged — so one statement classifies and
writes, and an unchanged row is not rewritten. A dry run asks the same question with a
``LEFT JOIN`` instead. Writers that need stored values for a rule (a password to verify,
metadata to merge) read them with :func:`lookup`, also through a staged frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import polars as pl
from sqlalchemy import Boolean, DateTime, Integer, UniqueConstraint
from sqlalchemy.dialects import postgresql

from loadbay.importing.bulk import POSTGRESQL, SQLITE, BulkSession, Ingest, Query, Step
from loadbay.models import Base

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
FAILED = "failed"
# The batch row a planned row stands for, in every staged frame.
ROW = "_row"
_STORED_TIME = "%Y-%m-%d %H:%M:%S.%f"


@dataclass(frozen=True)
class Table:
    """What the engine needs of an ORM table: its name, natural key and column types."""

    name: str
    # The column that scopes every key (tenant_id, or a payment's company_id).
    scope: str
    key: tuple[str, ...]
    polars: dict[str, pl.DataType]
    sql: dict[str, str]


@cache
def table_of(model: type[Base]) -> Table:
    table = model.__table__
    unique = next(c for c in table.constraints if isinstance(c, UniqueConstraint))  # type: ignore[attr-defined]
    scope, *key = [column.name for column in unique.columns]
    types: dict[str, pl.DataType] = {}
    for column in table.columns:
        kind = column.type
        types[column.name] = (
            pl.Boolean()
            if isinstance(kind, Boolean)
            else pl.Int64()
            if isinstance(kind, Integer)
            else pl.Utf8()
        )
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    sql = {column.name: column.type.compile(dialect=dialect) for column in table.columns}
    # Timestamps travel as text and are read back as text, the way SQLite stores them.
    for column in table.columns:
        if isinstance(column.type, DateTime):
            types[column.name] = pl.Utf8()
    return Table(name=table.name, scope=scope, key=tuple(key), polars=types, sql=sql)  # type: ignore[attr-defined]


@dataclass
class TableWrite:
    """Rows for one table from one batch: ``_row``, the key columns and the new values.

    A value column left out of ``frame`` keeps what is stored. ``insert_only`` columns are set
    when the row is created and kept when it exists; a null in a ``keep_when_null`` column keeps
    the stored value of that row only; ``keep_existing`` rows (a link) are never rewritten.
    The write that ``decides_outcome`` gives each row its outcome; another one (the group of a
    session) can only turn an unchanged row into an updated one.
    """

    model: type[Base]
    frame: pl.DataFrame
    constants: dict[str, Any]
    insert_only: tuple[str, ...] = ()
    # Columns where a null means "keep what is stored" on that row (a blank password cell).
    keep_when_null: tuple[str, ...] = ()
    keep_existing: bool = False
    decides_outcome: bool = True
    table: Table = field(init=False)

    def __post_init__(self) -> None:
        self.table = table_of(self.model)

    @property
    def values(self) -> list[str]:
        return [c for c in self.frame.columns if c != ROW and c not in self.table.key]

    @property
    def updatable(self) -> list[str]:
        return [c for c in self.values if c not in self.insert_only]


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    """A constant inlined into a statement: only Loadbay's own ints, ids and timestamps get here."""
    if isinstance(value, bool) or not isinstance(value, (int, str, datetime)):
        raise TypeError(f"not an inlinable constant: {value!r}")
    if isinstance(value, int):
        return str(value)
    text = value.strftime(_STORED_TIME) if isinstance(value, datetime) else value
    return "'" + text.replace("'", "''") + "'"


def stage_name(dialect: str, name: str) -> str:
    return f"temp.{quoted(name)}" if dialect == SQLITE else quoted(name)


def _value(dialect: str, table: Table, column: str, alias: str) -> str:
    """A staged column as the target column's type (PostgreSQL will not put text into a timestamp)."""
    ref = f"{alias}.{quoted(column)}"
    return f"CAST({ref} AS {table.sql[column]})" if dialect == POSTGRESQL else ref


def _differs(dialect: str) -> str:
    return "IS NOT" if dialect == SQLITE else "IS DISTINCT FROM"


def _set(target: str, column: str, *, keep: bool) -> str:
    new = f"excluded.{quoted(column)}"
    value = f"COALESCE({new}, {target}.{quoted(column)})" if keep else new
    return f"{quoted(column)} = {value}"


def _change(dialect: str, stored: str, new: str, *, keep: bool) -> str:
    """Whether ``new`` changes ``stored`` (null-aware; with ``keep``, a null changes nothing)."""
    differs = f"{stored} {_differs(dialect)} {new}"
    return f"({new} IS NOT NULL AND {differs})" if keep else differs


def select_all(bulk: BulkSession, model: type[Base], *, scope_value: Any, columns: list[str]) -> pl.DataFrame:
    """``columns`` of every stored row in the scope (a tenant's organization units: a short list)."""
    table = table_of(model)
    projected = ", ".join(_read(bulk.dialect, table, c) for c in columns)
    sql = (
        f"SELECT {projected} FROM {quoted(table.name)} AS t "  # noqa: S608
        f"WHERE t.{quoted(table.scope)} = {literal(scope_value)}"
    )
    result = bulk.run([Query(sql)])[0]
    assert result is not None
    frame = pl.from_arrow(result)
    assert isinstance(frame, pl.DataFrame)
    return frame.cast({c: table.polars[c] for c in columns}, strict=False)


def _join(table: Table, left: str, right: str, scope_value: Any) -> str:
    on = [f"{left}.{quoted(table.scope)} = {literal(scope_value)}"]
    on += [f"{left}.{quoted(k)} = {right}.{quoted(k)}" for k in table.key]
    return " AND ".join(on)


def merge_steps(dialect: str, write: TableWrite, *, stage: str) -> list[Step]:
    """Stage ``write`` and merge it; the last step returns the keys created or updated."""
    table = write.table
    target = quoted(table.name)
    staged = stage_name(dialect, stage)
    constants = write.constants
    created_at = constants["created_at"]
    columns = [*table.key, *write.values]
    names = ", ".join(quoted(c) for c in [*columns, *constants])
    selected = ", ".join(
        [_value(dialect, table, c, "s") for c in columns] + [literal(v) for v in constants.values()]
    )
    conflict = ", ".join(quoted(c) for c in (table.scope, *table.key))
    updatable = write.updatable
    returning = ", ".join(quoted(k) for k in table.key)
    if write.keep_existing or not updatable:
        action = "DO NOTHING"
    else:
        refreshed = [c for c in constants if c not in ("created_at", table.scope)]
        sets = ", ".join(
            [_set(target, c, keep=c in write.keep_when_null) for c in updatable]
            + [f"{quoted(c)} = excluded.{quoted(c)}" for c in refreshed]
        )
        differs = " OR ".join(
            _change(dialect, f"{target}.{quoted(c)}", f"excluded.{quoted(c)}", keep=c in write.keep_when_null)
            for c in updatable
        )
        action = f"DO UPDATE SET {sets} WHERE {differs}"
    sql = (
        f"INSERT INTO {target} ({names}) SELECT {selected} FROM {staged} AS s WHERE true "  # noqa: S608
        f"ON CONFLICT ({conflict}) {action} "
        f"RETURNING {returning}, {quoted('created_at')} = {literal(created_at)} AS inserted"
    )
    return [Ingest(stage, write.frame.to_arrow()), Query(sql)]


def classify_steps(dialect: str, write: TableWrite, *, stage: str) -> list[Step]:
    """What merging ``write`` would do, without writing: per staged row, exists and changed."""
    table = write.table
    target = quoted(table.name)
    staged = stage_name(dialect, stage)
    scope_value = write.constants[table.scope]
    updatable = write.updatable if not write.keep_existing else []
    differs = (
        " OR ".join(
            _change(dialect, f"t.{quoted(c)}", _value(dialect, table, c, "s"), keep=c in write.keep_when_null)
            for c in updatable
        )
        or "false"
    )
    sql = (
        f"SELECT s.{quoted(ROW)} AS {quoted(ROW)}, t.{quoted(table.scope)} IS NOT NULL AS exists_, "  # noqa: S608
        f"({differs}) AS changed FROM {staged} AS s "
        f"LEFT JOIN {target} AS t ON {_join(table, 't', 's', scope_value)}"
    )
    return [Ingest(stage, write.frame.to_arrow()), Query(sql)]


def merged_outcomes(write: TableWrite, returned: pl.DataFrame) -> pl.DataFrame:
    """Per ``_row`` of ``write``: created, updated or unchanged, from what the merge returned."""
    key = list(write.table.key)
    found = returned.select(*key, pl.col("inserted").cast(pl.Boolean)).cast(dict.fromkeys(key, pl.Utf8))
    joined = (
        write.frame.select(ROW, *key)
        .cast(dict.fromkeys(key, pl.Utf8))
        .join(found, on=key, how="left", maintain_order="left")
    )
    outcome = (
        pl.when(pl.col("inserted").is_null())
        .then(pl.lit(UNCHANGED))
        .when(pl.col("inserted"))
        .then(pl.lit(CREATED))
        .otherwise(pl.lit(UPDATED))
    )
    return joined.select(ROW, outcome.alias("outcome"))


def classified_outcomes(classified: pl.DataFrame) -> pl.DataFrame:
    exists = pl.col("exists_").cast(pl.Boolean)
    changed = pl.col("changed").cast(pl.Boolean)
    outcome = (
        pl.when(~exists)
        .then(pl.lit(CREATED))
        .when(changed)
        .then(pl.lit(UPDATED))
        .otherwise(pl.lit(UNCHANGED))
    )
    return classified.select(pl.col(ROW).cast(pl.Int64), outcome.alias("outcome"))


def lookup(
    bulk: BulkSession, model: type[Base], *, scope_value: Any, keys: pl.DataFrame, columns: list[str]
) -> pl.DataFrame:
    """The stored ``columns`` of the rows whose key is in ``keys`` (``_row`` and the key columns):
    ``_row`` and the columns, for the rows found only, typed as ``table_of(model).polars``."""
    table = table_of(model)
    if not keys.height:
        return pl.DataFrame(schema={ROW: pl.Int64, **{c: table.polars[c] for c in columns}})
    staged = stage_name(bulk.dialect, f"lb_keys_{table.name}")
    projected = ", ".join(
        [f"k.{quoted(ROW)} AS {quoted(ROW)}"] + [_read(bulk.dialect, table, c) for c in columns]
    )
    sql = (
        f"SELECT {projected} FROM {staged} AS k JOIN {quoted(table.name)} AS t "  # noqa: S608
        f"ON {_join(table, 't', 'k', scope_value)}"
    )
    stage = keys.select(pl.col(ROW).cast(pl.Int64), *(pl.col(k).cast(pl.Utf8) for k in table.key))
    result = bulk.run([Ingest(f"lb_keys_{table.name}", stage.to_arrow()), Query(sql)])[-1]
    assert result is not None
    frame = pl.from_arrow(result)
    assert isinstance(frame, pl.DataFrame)
    return frame.cast({ROW: pl.Int64, **{c: table.polars[c] for c in columns}}, strict=False)


def _read(dialect: str, table: Table, column: str) -> str:
    ref = f"t.{quoted(column)}"
    if (
        dialect == POSTGRESQL
        and table.polars[column] == pl.Utf8
        and table.sql[column].startswith("TIMESTAMP")
    ):
        ref = f"to_char({ref}, 'YYYY-MM-DD HH24:MI:SS.US')"
    return f"{ref} AS {quoted(column)}"
