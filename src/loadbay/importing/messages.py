"""Every message of an import, stored row by row so that a page of them is one indexed query.

The pipeline speaks in strings (``Line 3: user_email: 'x' is not an email address``), as the
status endpoint has always shown them; here they are split into line, column and text once,
when they are stored, so readers never parse them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from loadbay.models import ImportMessage

_LINE = re.compile(r"Line (\d+): (.*)", re.DOTALL)


@dataclass(frozen=True)
class ParsedMessage:
    line: int | None
    column: str | None
    message: str


def parse_message(text: str, *, columns: frozenset[str]) -> ParsedMessage:
    """Split ``Line N: column: text``; the column only when it names the file's own column(s).

    A key made of several columns (``user_username, group_name: ...``) keeps them all.
    """
    line: int | None = None
    rest = text
    if found := _LINE.fullmatch(text):
        line, rest = int(found.group(1)), found.group(2)
    prefix, separator, message = rest.partition(": ")
    if separator and prefix and all(part.strip() in columns for part in prefix.split(",")):
        return ParsedMessage(line=line, column=prefix, message=message)
    return ParsedMessage(line=line, column=None, message=rest)


def save_messages(
    session: Session,
    *,
    import_id: str,
    numbered: Iterable[tuple[int, str]],
    columns: frozenset[str],
) -> None:
    """Store ``(seq, text)`` messages; the caller commits them with the progress that counts them."""
    rows = []
    for seq, text in numbered:
        parsed = parse_message(text, columns=columns)
        rows.append(
            {
                "import_id": import_id,
                "seq": seq,
                "line": parsed.line,
                "column": parsed.column,
                "message": parsed.message,
            }
        )
    if rows:
        session.execute(insert(ImportMessage), rows)


def clear_messages(session: Session, *, import_id: str) -> None:
    """Forget an import's messages: a run that starts over finds them again."""
    session.execute(delete(ImportMessage).where(ImportMessage.import_id == import_id))


def message_page(
    session: Session, *, import_id: str, start: int, limit: int
) -> tuple[list[ImportMessage], int | None]:
    """Up to ``limit`` messages from sequence number ``start`` on, and where the next page starts."""
    found = list(
        session.scalars(
            select(ImportMessage)
            .where(ImportMessage.import_id == import_id, ImportMessage.seq >= start)
            .order_by(ImportMessage.seq)
            .limit(limit + 1)
        )
    )
    if len(found) > limit:
        return found[:limit], found[limit].seq
    return found, None
