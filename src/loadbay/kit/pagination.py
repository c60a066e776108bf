"""Opaque cursors for keyset pagination: over an integer primary key, or newest first over a
creation time and a string id."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

Row = TypeVar("Row")


class BadCursor(ValueError):
    pass


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def is_whole_number(raw: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also takes "²" and "٣", which ``int`` then refuses."""
    return raw.isascii() and raw.isdigit()


def decode_cursor(cursor: str | None) -> int:
    """The id after which the next page starts (0 for the first page)."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = text.partition(":")
        if prefix != "id" or not is_whole_number(value):
            raise BadCursor(cursor)
        return int(value)
    except (ValueError, UnicodeDecodeError) as exc:  # binascii.Error, and non-ASCII text
        raise BadCursor(cursor) from exc


def encode_time_cursor(created_at: datetime, row_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_time_cursor(cursor: str) -> tuple[datetime, str]:
    """The creation time and id :func:`encode_time_cursor` was given; BadCursor for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, row_id = json.loads(raw)
        return datetime.fromisoformat(created_at), str(row_id)
    except (binascii.Error, ValueError, TypeError, RecursionError) as exc:  # RecursionError: [[[[…
        raise BadCursor(cursor) from exc


def newest_first(
    session: Session,
    query: Select[Row],
    *,
    created_at: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[str],
    cursor: str | None,
    limit: int,
) -> tuple[list[Row], str | None]:
    """A page of ``query``'s rows, newest first, and the cursor of the next page (None: the last).

    Keyset, not offset: the cursor names the last row seen, so a page never repeats or skips a
    row when new ones arrive between two requests. Raises BadCursor.
    """
    if cursor:
        after, last_id = decode_time_cursor(cursor)
        query = query.where(or_(created_at < after, and_(created_at == after, row_id < last_id)))
    rows = list(session.scalars(query.order_by(created_at.desc(), row_id.desc()).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_time_cursor(getattr(last, created_at.key), getattr(last, row_id.key))
