"""Bulk reads and upserts shared by the rostering writers, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

from loadbay.db import is_postgresql
from loadbay.models import Base

Model = TypeVar("Model", bound=Base)

# Below SQLite's bound-parameter limit, large enough to keep round trips few.
_IN_CHUNK = 5000


def fetch_existing(
    session: Session,
    model: type[Model],
    key: InstrumentedAttribute[str],
    tenant_id: int,
    keys: Sequence[str],
) -> dict[str, Model]:
    """The tenant's stored rows for ``keys``, by key."""
    found: dict[str, Model] = {}
    unique = list(dict.fromkeys(k for k in keys if k))
    for start in range(0, len(unique), _IN_CHUNK):
        chunk = unique[start : start + _IN_CHUNK]
        statement = select(model).where(model.tenant_id == tenant_id, key.in_(chunk))  # type: ignore[attr-defined]
        for row in session.scalars(statement):
            found[getattr(row, key.key)] = row
    return found


def upsert(
    session: Session,
    *,
    model: type[Base],
    rows: list[dict[str, Any]],
    keys: tuple[str, ...],
    keep_on_update: tuple[str, ...] = (),
) -> None:
    """Insert rows, or update the stored row with the same ``keys``; one statement per batch."""
    if not rows:
        return
    table = model.__table__
    dialect_insert = postgresql.insert if is_postgresql(session) else sqlite.insert
    statement = dialect_insert(table)  # type: ignore[arg-type]
    columns = [name for name in rows[0] if name not in keys and name not in keep_on_update]
    statement = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: statement.excluded[name] for name in columns},
    )
    session.execute(statement, rows)
