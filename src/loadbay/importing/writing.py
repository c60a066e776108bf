"""Bulk reads and upserts shared by the rostering writers, on SQLite and PostgreSQL alike.

The upsert goes to the driver directly: on PostgreSQL the batch is COPYed into a temporary
table and merged with one ``INSERT ... ON CONFLICT DO UPDATE``; on SQLite it is one
``executemany``. SQLAlchemy's per-row parameter processing would cost more than the write.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Row
from sqlalchemy.orm import InstrumentedAttribute, Session

from loadbay.db import is_postgresql
from loadbay.models import Base

# Below SQLite's bound-parameter limit, large enough to keep round trips few.
_IN_CHUNK = 5000


def fetch_existing(
    session: Session,
    *,
    key: InstrumentedAttribute[str],
    columns: Sequence[InstrumentedAttribute[Any]],
    tenant_id: int,
    keys: Sequence[str],
) -> dict[str, Row[Any] | tuple[Any, ...]]:
    """The tenant's stored ``columns`` for ``keys``, by key: the key first, then the columns.

    Plain driver SQL: compiling an IN list of thousands of bound parameters through
    SQLAlchemy costs more than the query.
    """
    model = key.class_
    names = ", ".join(_quoted(attribute.expression.name) for attribute in (key, *columns))
    key_name = _quoted(key.expression.name)
    table = _quoted(model.__tablename__)
    connection = session.connection()
    found: dict[str, Row[Any] | tuple[Any, ...]] = {}
    unique = list(dict.fromkeys(k for k in keys if k))
    if is_postgresql(session):
        # One array parameter: no query text that grows with the batch, one index scan.
        rows = connection.exec_driver_sql(
            f"SELECT {names} FROM {table} WHERE tenant_id = %s AND {key_name} = ANY(%s)",  # noqa: S608
            (tenant_id, unique),
        ).all()
        return {row[0]: row for row in rows}
    for start in range(0, len(unique), _IN_CHUNK):
        chunk = unique[start : start + _IN_CHUNK]
        statement = (
            f"SELECT {names} FROM {table} "  # noqa: S608
            f"WHERE tenant_id = ? AND {key_name} IN ({', '.join(['?'] * len(chunk))})"
        )
        for row in connection.exec_driver_sql(statement, (tenant_id, *chunk)).all():
            found[row[0]] = row
    return found


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def upsert(
    session: Session,
    *,
    model: type[Base],
    rows: list[dict[str, Any]],
    keys: tuple[str, ...],
    keep_on_update: tuple[str, ...] = (),
) -> None:
    """``upsert_frame`` for a list of row dicts (the small, row-by-row plans)."""
    if rows:
        frame = pl.DataFrame(rows, infer_schema_length=None)
        upsert_frame(
            session, model=model, frame=frame, keys=keys, constants={}, keep_on_update=keep_on_update
        )


def fetch_frame(
    session: Session,
    *,
    key: InstrumentedAttribute[str],
    columns: Sequence[InstrumentedAttribute[Any]],
    tenant_id: int,
    keys: Sequence[str],
    schema: dict[str, pl.DataType],
) -> pl.DataFrame:
    """The tenant's stored rows for ``keys`` as a frame: the key, then ``columns`` as named in ``schema``."""
    rows = [
        tuple(row)
        for row in fetch_existing(session, key=key, columns=columns, tenant_id=tenant_id, keys=keys).values()
    ]
    # strict=False: SQLite hands booleans back as 0 and 1.
    return pl.DataFrame(rows, schema=schema, orient="row", strict=False)


def _sql_literal(value: Any) -> str:
    """A constant inlined into the statement: only Loadbay's own ints, ids and timestamps get here."""
    if isinstance(value, bool) or not isinstance(value, (int, str, datetime)):
        raise TypeError(f"not an inlinable constant: {value!r}")
    if isinstance(value, int):
        return str(value)
    text = value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value
    return "'" + text.replace("'", "''") + "'"


def upsert_frame(
    session: Session,
    *,
    model: type[Base],
    frame: pl.DataFrame,
    keys: tuple[str, ...],
    constants: dict[str, Any],
    keep_on_update: tuple[str, ...] = (),
) -> None:
    """``upsert`` for a frame of table columns plus ``constants`` shared by every row of the batch.

    The constants (tenant, import id, timestamps) go into the statement once rather than into
    every row; the rows go as CSV through COPY on PostgreSQL, as tuples on SQLite.
    """
    if not frame.height:
        return
    table = _quoted(model.__tablename__)
    names = [*frame.columns, *constants]
    column_list = ", ".join(_quoted(c) for c in names)
    conflict = ", ".join(_quoted(k) for k in keys)
    updates = ", ".join(
        f"{_quoted(c)} = excluded.{_quoted(c)}" for c in names if c not in keys and c not in keep_on_update
    )
    literals = ", ".join(_sql_literal(value) for value in constants.values())
    if not is_postgresql(session):
        placeholders = ", ".join(["?"] * frame.width + ([literals] if literals else []))
        session.connection().exec_driver_sql(
            f"INSERT INTO {table} ({column_list}) VALUES ({placeholders}) "  # noqa: S608
            f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}",
            frame.rows(),
        )
        return
    stage = _quoted("stage_" + model.__tablename__)
    frame_columns = ", ".join(_quoted(c) for c in frame.columns)
    driver = session.connection().connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "  # noqa: S608
            f"SELECT {frame_columns} FROM {table} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {stage}")
        # An unquoted empty field is NULL in COPY's CSV format; polars quotes empty strings.
        with cursor.copy(f"COPY {stage} ({frame_columns}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(frame.write_csv(include_header=False).encode("utf-8"))
        selected = frame_columns + (f", {literals}" if literals else "")
        cursor.execute(
            f"INSERT INTO {table} ({column_list}) SELECT {selected} FROM {stage} "  # noqa: S608
            f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
        )
