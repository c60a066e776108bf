"""Opaque cursors for keyset pagination over an integer primary key."""

from __future__ import annotations

import base64
import binascii


class BadCursor(ValueError):
    pass


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The id after which the next page starts (0 for the first page)."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = text.partition(":")
        if prefix != "id" or not value.isdigit():
            raise BadCursor(cursor)
        return int(value)
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise BadCursor(cursor) from exc
