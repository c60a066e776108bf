"""Messages as data: one record per finding — line, column, code, severity, text.

The validator and the writers make them as frames (``row`` is the row's index in its batch);
the engine turns rows into physical lines, stores them in ``import_messages`` with the batch
that found them, writes them into the result file, and the dialects render them: the TAO
status endpoint as the seed's ``Line N: column: text`` strings, the imports API as records.
Nothing parses a rendered message back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from loadbay.models import ImportMessage

ERROR = "error"
WARNING = "warning"

# The codes, stable across releases: clients may branch on them. README lists them.
CODES: dict[str, str] = {
    # The file as a whole (the import fails; line 1 or the line at fault).
    "empty_file": "The file has no header row.",
    "blank_header": "The first line names no column.",
    "invalid_header": "The header row is not valid CSV.",
    "undecodable": "The text is not UTF-8 (or UTF-16 with a byte order mark).",
    "malformed_csv": "A quote is not closed, so the rest of the file cannot be read.",
    "unknown_template": "The header fits no import template.",
    "header_mismatch": "The header does not fit the import type asked for.",
    "duplicate_column": "A column appears twice in the header.",
    "too_many_columns": "The header has more columns than LOADBAY_MAX_COLUMNS allows.",
    "too_many_metadata": "More metadata columns than LOADBAY_MAX_METADATA_KEYS allows.",
    "aborted": "onError=abort and some rows failed: nothing was written.",
    "given_up": "Every attempt to run the import died; it was given up.",
    "storage": "The stored upload could not be read.",
    "invalid_bundle": "A bundle (a OneRoster zip) cannot be imported: its zip or manifest.csv is refused.",
    "sync_threshold": "mode=sync would take away more than changeThreshold percent: nothing was written.",
    "sync_unsupported": "mode=sync is not available for the file's import type.",
    # One row (the row is not written when the severity is error).
    "ragged_row": "The row has more or fewer fields than the header.",
    "required": "A mandatory cell is blank.",
    "missing_column": "A mandatory column is missing from the header.",
    "too_long": "The cell is longer than the column allows.",
    "invalid_format": "The cell does not have the form the column needs.",
    "not_allowed": "The cell is not one of the values the column allows.",
    "invalid_boolean": "The cell is not TRUE or FALSE.",
    "boolean_number": "1 or 0 read as TRUE or FALSE (a warning: the row is written).",
    "invalid_json": "The cell is not a JSON object.",
    "weak_password": "The password does not meet the policy.",
    "duplicate_key": "The row's key already appears on an earlier line.",
    "unknown_reference": "The row names something that does not exist (an organization, group, user).",
    "cancelled": "The import was cancelled; the batches committed before it stay imported.",
    "required_on_create": "The row creates a record, and a column a new record needs is blank or missing.",
    "immutable": "The row would change a field that cannot change once imported.",
    "invalid_hierarchy": "The organization would be its own ancestor, too deep, or root.",
    "invalid_value": "The cell's value is not valid for the column (a date order, an amount).",
    "card_number": "The cell holds what looks like a card number.",
    "no_batch": "A payments import outside an import batch.",
}

# A message frame: the row of its batch (or, once placed, its physical line), then the record.
MESSAGE_SCHEMA: dict[str, pl.DataType] = {
    "row": pl.Int64(),
    "column": pl.Utf8(),
    "code": pl.Utf8(),
    "severity": pl.Utf8(),
    "text": pl.Utf8(),
}


def no_messages() -> pl.DataFrame:
    return pl.DataFrame(schema=MESSAGE_SCHEMA)


@dataclass(frozen=True)
class Finding:
    """A check applied to a whole batch: ``text`` is a Utf8 expression, null where the row passes."""

    column: str | None
    code: str
    text: pl.Expr
    severity: str = ERROR

    def __post_init__(self) -> None:
        # Clients branch on codes: a new one is added to CODES (and the docs) or it is a bug.
        if self.code not in CODES:
            raise ValueError(f"message code {self.code!r} is not in CODES")


def found(frame: pl.DataFrame, findings: Sequence[Finding], *, rows: pl.Expr | None = None) -> pl.DataFrame:
    """The messages ``findings`` make on ``frame``, in row order, each row's in the order given.

    ``rows`` gives each row's number (default: its position in ``frame``).
    """
    if not findings or not frame.height:
        return no_messages()
    row = rows if rows is not None else pl.int_range(pl.len(), dtype=pl.Int64)
    # One pass: every finding a column; a batch with no message (the usual one) stops there.
    names = [f"_f{i}" for i in range(len(findings))]
    wide = frame.select(
        row.alias("row"), *(f.text.cast(pl.Utf8).alias(name) for f, name in zip(findings, names, strict=True))
    )
    counts = wide.select(pl.all().exclude("row").is_not_null().sum()).row(0)
    hits = [i for i, count in enumerate(counts) if count]
    if not hits:
        return no_messages()
    # Only the findings that found something, long: one row per message, then in row order.
    meta = pl.DataFrame(
        {
            "_f": [names[i] for i in hits],
            "column": [findings[i].column for i in hits],
            "code": [findings[i].code for i in hits],
            "severity": [findings[i].severity for i in hits],
            "_order": list(range(len(hits))),
        },
        schema={"_f": pl.Utf8, "column": pl.Utf8, "code": pl.Utf8, "severity": pl.Utf8, "_order": pl.Int32},
    )
    return (
        wide.lazy()
        .select("row", *(names[i] for i in hits))
        .unpivot(index="row", variable_name="_f", value_name="text")
        .filter(pl.col("text").is_not_null())
        .join(meta.lazy(), on="_f", how="left")
        .sort("row", "_order", maintain_order=True)
        .select("row", "column", "code", "severity", "text")
        .collect()
    )


def ordered(*frames: pl.DataFrame) -> pl.DataFrame:
    """Messages of one batch from several stages, by row; a row's keep the stages' order."""
    present = [frame for frame in frames if frame.height]
    if not present:
        return no_messages()
    if len(present) == 1:
        return present[0]
    return pl.concat(present).sort("row", maintain_order=True)


def error_rows(messages: pl.DataFrame) -> pl.Series:
    """The rows with at least one error (a row with only warnings is written)."""
    return messages.filter(pl.col("severity") == ERROR)["row"].unique(maintain_order=True)


def render(line: int | None, column: str | None, text: str, file: str | None = None) -> str:
    """The seed's words: ``Line N: column: text``; in a bundle ``users.csv line N: column: text``."""
    body = f"{column}: {text}" if column else text
    if file is not None:
        return f"{file} line {line}: {body}" if line is not None else f"{file}: {body}"
    return f"Line {line}: {body}" if line is not None else body


def row_texts(messages: pl.DataFrame) -> pl.DataFrame:
    """Each row's messages joined as the result file shows them: ``column: text | ...``, a
    warning (the row was written) marked ``warning: column: text``."""
    body = (
        pl.when(pl.col("column").is_not_null()).then(pl.format("{}: {}", "column", "text")).otherwise("text")
    )
    body = pl.when(pl.col("severity") == WARNING).then(pl.format("warning: {}", body)).otherwise(body)
    return messages.group_by("row", maintain_order=True).agg(body.str.join(" | ").alias("messages"))


# -- storage --------------------------------------------------------------------------------


def clear_messages(session: Session, *, import_id: str) -> None:
    """Forget an import's messages: a run that starts over finds them again."""
    session.execute(delete(ImportMessage).where(ImportMessage.import_id == import_id))


def message_page(
    session: Session, *, import_id: str, start: int, limit: int, severity: str | None = None
) -> tuple[list[ImportMessage], int | None]:
    """Up to ``limit`` messages from sequence number ``start`` on, and where the next page starts."""
    query = select(ImportMessage).where(ImportMessage.import_id == import_id, ImportMessage.seq >= start)
    if severity is not None:
        query = query.where(ImportMessage.severity == severity)
    found_ = list(session.scalars(query.order_by(ImportMessage.seq).limit(limit + 1)))
    if len(found_) > limit:
        return found_[:limit], found_[limit].seq
    return found_, None


def first_messages(session: Session, *, import_id: str, limit: int) -> list[str]:
    """The first ``limit`` messages rendered as the seed's strings (the status endpoint's list)."""
    rows = session.execute(
        select(ImportMessage.line, ImportMessage.column, ImportMessage.message, ImportMessage.file)
        .where(ImportMessage.import_id == import_id)
        .order_by(ImportMessage.seq)
        .limit(limit)
    )
    return [render(line, column, text, file) for line, column, text, file in rows]


# The words TAO's status endpoint shows for a cancelled import (its status there reads failed).
CANCELLED_MESSAGE = "Import cancelled"


def cancelled_notice(import_id: str) -> ImportMessage:
    """The message a cancelled import carries first (seq 0, before any row's)."""
    return ImportMessage(
        import_id=import_id,
        seq=0,
        line=None,
        column=None,
        code="cancelled",
        severity=ERROR,
        message=CANCELLED_MESSAGE,
    )


def record(message: ImportMessage) -> dict[str, object]:
    """One stored message as the imports API shows it."""
    return {
        # The file of a bundle the line is in (users.csv); null for a single file.
        "file": message.file,
        "line": message.line,
        "column": message.column,
        "code": message.code,
        "severity": message.severity,
        "message": message.message,
    }
