"""The tables the engine reads and writes: their shape (natural key, column types), SQL spelling,
and the reads a writer plans with (:func:`lookup`, :func:`select_all`), all through Arrow."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from typing import Any

import polars as pl
from sqlalchemy import BigInteger, Boolean, DateTime, Float, Index, Integer, SmallInteger, UniqueConstraint
from sqlalchemy.dialects import postgresql

from loadbay.importing.bulk import POSTGRESQL, SQLITE, BulkSession, Ingest, Query
from loadbay.models import Base

# The batch row a planned row stands for, in every staged frame.
ROW = "_row"


STORED_TIME = "%Y-%m-%d %H:%M:%S.%f"


POLARS_TIME = "%Y-%m-%d %H:%M:%S%.f"


@dataclass(frozen=True)
class Table:
    """What the engine needs of an ORM table: its name, natural key and column types."""

    name: str
    # The column that scopes every key (tenant_id, or a payment's company_id).
    scope: str
    key: tuple[str, ...]
    polars: dict[str, pl.DataType]
    sql: dict[str, str]
    # Columns a new row must have (NOT NULL, no default in SQL).
    required: frozenset[str] = frozenset()
    # Each column's exact type on PostgreSQL, for a binary COPY straight into the table (it takes
    # no other width: an INTEGER column wants 32-bit integers).
    exact: dict[str, pl.DataType] = field(default_factory=dict)
    # Every unique key of the table after its scope column: a write may be keyed by another one
    # than ``key`` (a OneRoster user by its sourcedId rather than its username).
    keys: frozenset[tuple[str, ...]] = frozenset()
    # The keys unique only where every key column is set (a partial index: a OneRoster sourcedId,
    # which TAO's rows lack); a write or a join by one names that condition too.
    partial: frozenset[tuple[str, ...]] = frozenset()

    @property
    def key_is_partial(self) -> bool:
        return self.key in self.partial

    def keyed_by(self, key: tuple[str, ...]) -> Table:
        if key not in self.keys:
            raise ValueError(f"{self.name} has no unique key ({self.scope}, {', '.join(key)})")
        return replace(self, key=key)


@cache
def table_of(model: type[Base]) -> Table:
    table = model.__table__
    # ``constraints`` is a set: the first unique key declared is the table's natural key.
    declared = sorted(
        (c for c in table.constraints if isinstance(c, UniqueConstraint)),  # type: ignore[attr-defined]
        key=lambda c: c._creation_order,
    )
    uniques = [[column.name for column in c.columns] for c in declared]
    scope, *key = uniques[0]
    partial = [_partial_key(index) for index in table.indexes if index.unique]  # type: ignore[attr-defined]
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
    required = frozenset(c.name for c in table.columns if not c.nullable and not c.primary_key)
    exact = {column.name: _exact(column.type) for column in table.columns}
    return Table(
        # A plain str: SQLAlchemy's own (quoted_name) would make the SQLite writer process import
        # SQLAlchemy to unpickle a step (0.1 s, at the first slice of its first import).
        name=str(table.name),  # type: ignore[attr-defined]
        scope=scope,
        key=tuple(key),
        polars=types,
        sql=sql,
        required=required,
        exact=exact,
        keys=frozenset(tuple(u[1:]) for u in [*uniques, *partial] if u[0] == scope),
        partial=frozenset(tuple(u[1:]) for u in partial if u[0] == scope),
    )


def _partial_key(index: Index) -> list[str]:
    """A unique index's columns; it must be unique where they are all set, the one partial kind
    the engine writes by (``ON CONFLICT (…) WHERE … IS NOT NULL``)."""
    columns = [column.name for column in index.columns]
    wanted = " AND ".join(f"{name} IS NOT NULL" for name in columns[1:])
    for dialect in ("sqlite", "postgresql"):
        where = index.dialect_options[dialect]["where"]
        if where is None or str(where) != wanted:
            raise ValueError(f"index {index.name}: the engine only writes by a key unique WHERE {wanted}")
    return columns


def _exact(kind: Any) -> pl.DataType:
    if isinstance(kind, Boolean):
        return pl.Boolean()
    if isinstance(kind, BigInteger):
        return pl.Int64()
    if isinstance(kind, SmallInteger):
        return pl.Int16()
    if isinstance(kind, Integer):
        return pl.Int32()
    if isinstance(kind, Float):
        return pl.Float64()
    if isinstance(kind, DateTime):
        return pl.Datetime("us")
    return pl.Utf8()


def frame_of(result: Any) -> pl.DataFrame:
    """A query step's Arrow answer as a polars frame."""
    frame = pl.from_arrow(result)
    assert isinstance(frame, pl.DataFrame)
    return frame


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    """A constant inlined into a statement: only Loadbay's own ints, ids and timestamps get here."""
    if isinstance(value, bool) or not isinstance(value, (int, str, datetime)):
        raise TypeError(f"not an inlinable constant: {value!r}")
    if isinstance(value, int):
        return str(value)
    text = value.strftime(STORED_TIME) if isinstance(value, datetime) else value
    return "'" + text.replace("'", "''") + "'"


def stage_name(dialect: str, name: str) -> str:
    return f"temp.{quoted(name)}" if dialect == SQLITE else quoted(name)


def distinct_from(dialect: str) -> str:
    return "IS NOT" if dialect == SQLITE else "IS DISTINCT FROM"


def select_all(bulk: BulkSession, model: type[Base], *, scope_value: Any, columns: list[str]) -> pl.DataFrame:
    """``columns`` of every stored row in the scope (a tenant's organization units: a short list)."""
    table = table_of(model)
    projected = ", ".join(read_column(bulk.dialect, table, c) for c in columns)
    sql = (
        f"SELECT {projected} FROM {quoted(table.name)} AS t "  # noqa: S608
        f"WHERE t.{quoted(table.scope)} = {literal(scope_value)}"
    )
    return frame_of(bulk.run([Query(sql)])[0]).cast({c: table.polars[c] for c in columns}, strict=False)


def key_join(table: Table, left: str, right: str, scope_value: Any) -> str:
    on = [f"{left}.{quoted(table.scope)} = {literal(scope_value)}"]
    on += [f"{left}.{quoted(k)} = {right}.{quoted(k)}" for k in table.key]
    if table.key_is_partial:
        # Lets the planner use the partial index (SQLite and PostgreSQL both ask for the condition).
        on += [f"{left}.{quoted(k)} IS NOT NULL" for k in table.key]
    return " AND ".join(on)


def lookup(
    bulk: BulkSession,
    model: type[Base],
    *,
    scope_value: Any,
    keys: pl.DataFrame,
    columns: list[str],
    key: tuple[str, ...] | None = None,
) -> pl.DataFrame:
    """The stored ``columns`` of the rows whose key (``key``, default the table's first unique
    key) is in ``keys`` (``_row`` and the key columns): ``_row`` and the columns, for the rows
    found only, typed as ``table_of(model).polars``."""
    table = table_of(model) if key is None else table_of(model).keyed_by(key)
    if not keys.height:
        return pl.DataFrame(schema={ROW: pl.Int64, **{c: table.polars[c] for c in columns}})
    staged = stage_name(bulk.dialect, f"lb_keys_{table.name}")
    projected = ", ".join(
        [f"k.{quoted(ROW)} AS {quoted(ROW)}"] + [read_column(bulk.dialect, table, c) for c in columns]
    )
    sql = (
        f"SELECT {projected} FROM {staged} AS k JOIN {quoted(table.name)} AS t "  # noqa: S608
        f"ON {key_join(table, 't', 'k', scope_value)}"
    )
    stage = keys.select(pl.col(ROW).cast(pl.Int64), *(pl.col(k).cast(pl.Utf8) for k in table.key))
    result = bulk.run([Ingest(f"lb_keys_{table.name}", stage.to_arrow()), Query(sql)])[-1]
    return frame_of(result).cast({ROW: pl.Int64, **{c: table.polars[c] for c in columns}}, strict=False)


def read_column(dialect: str, table: Table, column: str) -> str:
    ref = f"t.{quoted(column)}"
    if (
        dialect == POSTGRESQL
        and table.polars[column] == pl.Utf8
        and table.sql[column].startswith("TIMESTAMP")
    ):
        ref = f"to_char({ref}, 'YYYY-MM-DD HH24:MI:SS.US')"
    return f"{ref} AS {quoted(column)}"
