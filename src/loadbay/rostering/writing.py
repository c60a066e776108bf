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
from sqlalchemy import Row, select
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
) -> dict[str, Row[Any]]:
    """The tenant's stored ``columns`` for ``keys``, by key (plain rows, no ORM objects)."""
    model = key.class_
    found: dict[str, Row[Any]] = {}
    unique = list(dict.fromkeys(k for k in keys if k))
    for start in range(0, len(unique), _IN_CHUNK):
        chunk = unique[start : start + _IN_CHUNK]
        statement = select(key, *columns).where(model.tenant_id == tenant_id, key.in_(chunk))
        for row in session.execute(statement):
            found[row[0]] = row
    return found


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_rows(rows: list[dict[str, Any]], columns: list[str]) -> list[tuple[Any, ...]]:
    # Datetimes become the text SQLAlchemy's SQLite DateTime type reads back; a batch shares
    # a handful of timestamps, so each is formatted once.
    dated = [c for c in columns if isinstance(rows[0][c], datetime)]
    formatted: dict[datetime, str] = {}
    result = []
    for row in rows:
        values = dict(row)
        for column in dated:
            moment = values[column]
            if moment not in formatted:
                formatted[moment] = moment.strftime("%Y-%m-%d %H:%M:%S.%f")
            values[column] = formatted[moment]
        result.append(tuple(values[c] for c in columns))
    return result


def upsert(
    session: Session,
    *,
    model: type[Base],
    rows: list[dict[str, Any]],
    keys: tuple[str, ...],
    keep_on_update: tuple[str, ...] = (),
) -> None:
    """Insert rows, or update the stored row with the same ``keys``; one merge per batch."""
    if not rows:
        return
    table = _quoted(model.__tablename__)
    columns = list(rows[0])
    column_list = ", ".join(_quoted(c) for c in columns)
    conflict = ", ".join(_quoted(k) for k in keys)
    updates = ", ".join(
        f"{_quoted(c)} = excluded.{_quoted(c)}" for c in columns if c not in keys and c not in keep_on_update
    )
    merge = f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    # Every identifier below comes from the model's own table and column names, quoted; the
    # values travel as COPY data or bound parameters. Hence the S608 waivers.
    connection = session.connection()
    if is_postgresql(session):
        driver = connection.connection.driver_connection
        assert driver is not None
        stage = _quoted("stage_" + model.__tablename__)
        with driver.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "  # noqa: S608
                f"SELECT {column_list} FROM {table} WITH NO DATA"
            )
            # Empty even when a transaction merges more than one batch.
            cursor.execute(f"TRUNCATE {stage}")
            with cursor.copy(f"COPY {stage} ({column_list}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
            cursor.execute(
                f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM {stage} {merge}"  # noqa: S608
            )
        return
    placeholders = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(
        f"INSERT INTO {table} ({column_list}) VALUES ({placeholders}) {merge}",  # noqa: S608
        _sqlite_rows(rows, columns),
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
    return pl.DataFrame(rows, schema=schema, orient="row")


def upsert_frame(
    session: Session,
    *,
    model: type[Base],
    frame: pl.DataFrame,
    keys: tuple[str, ...],
    keep_on_update: tuple[str, ...] = (),
) -> None:
    """``upsert`` for a frame whose columns are the table's: COPY as CSV on PostgreSQL."""
    if not frame.height:
        return
    table = _quoted(model.__tablename__)
    column_list = ", ".join(_quoted(c) for c in frame.columns)
    conflict = ", ".join(_quoted(k) for k in keys)
    updates = ", ".join(
        f"{_quoted(c)} = excluded.{_quoted(c)}"
        for c in frame.columns
        if c not in keys and c not in keep_on_update
    )
    if not is_postgresql(session):
        # The text format SQLAlchemy's SQLite DateTime type reads back.
        dated = [name for name, dtype in frame.schema.items() if dtype == pl.Datetime]
        frame = frame.with_columns(pl.col(name).dt.strftime("%Y-%m-%d %H:%M:%S.%f") for name in dated)
        placeholders = ", ".join("?" for _ in frame.columns)
        session.connection().exec_driver_sql(
            f"INSERT INTO {table} ({column_list}) VALUES ({placeholders}) "  # noqa: S608
            f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}",
            frame.rows(),
        )
        return
    stage = _quoted("stage_" + model.__tablename__)
    driver = session.connection().connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "  # noqa: S608
            f"SELECT {column_list} FROM {table} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {stage}")
        # An unquoted empty field is NULL in COPY's CSV format; polars quotes empty strings.
        with cursor.copy(f"COPY {stage} ({column_list}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(frame.write_csv(include_header=False).encode("utf-8"))
        cursor.execute(
            f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM {stage} "  # noqa: S608
            f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
        )
