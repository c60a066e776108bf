"""What every OneRoster 1.1 file shares: its head columns, bulk and delta rules, references.

Every file starts with ``sourcedId`` (the key), ``status`` and ``dateLastModified``.
- In a ``bulk`` file both are blank (``active`` is tolerated): the file is the tenant's whole
  list, and the records it leaves out are deactivated or removed after it (the type's SyncRule).
- In a ``delta`` file every row carries ``active`` or ``tobedeleted`` and when it changed; a
  ``tobedeleted`` row deactivates its record (orgs, users, classes) or removes it (the others).
Multi-valued cells (``orgSourcedIds``, ``grades``, ``terms``) are comma-separated ids in one
quoted cell; they are stored trimmed and de-duplicated, in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl

from loadbay.importing.batch import BatchContext, Planned
from loadbay.importing.bulk import Step
from loadbay.importing.columns import Check, Column, Required
from loadbay.importing.messages import Finding
from loadbay.importing.planning import findings, stripped
from loadbay.importing.registry import ImportType, SyncRule, Writer, register
from loadbay.importing.tables import ROW, table_of
from loadbay.importing.write import DEACTIVATED, UPDATED, TableWrite
from loadbay.models import Base

BUNDLE = "oneroster"
BULK = "bulk"
DELTA = "delta"
ACTIVE = "active"
TOBEDELETED = "tobedeleted"

ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
ISO_DATETIME = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$"

SOURCED_ID = Column("sourcedId", Required.ALWAYS, "The record's id in the source system; the key.")
STATUS = Column("status", description="Delta files: active or tobedeleted. Bulk files: blank.")
DATE_LAST_MODIFIED = Column(
    "dateLastModified", description="Delta files: when the record last changed (ISO 8601). Bulk files: blank."
)
HEAD = (SOURCED_ID, STATUS, DATE_LAST_MODIFIED)


def type_name(entity: str) -> str:
    """The import type of a bundle's file: ``oneroster.users`` for users.csv."""
    return f"{BUNDLE}.{entity}"


def oneroster_type(
    entity: str,
    *,
    description: str,
    columns: Sequence[Column],
    writer: Writer,
    sync: SyncRule | None = None,
    after_updates: Callable[[str, int], list[Step]] | None = None,
) -> ImportType:
    """Register the import type of one OneRoster file (``entity``: its name without .csv)."""
    return register(
        ImportType(
            name=type_name(entity),
            description=description,
            columns=(*HEAD, *columns),
            key_columns=("sourcedId",),
            writer=writer,
            sync=sync,
            bundle=BUNDLE,
            # OneRoster 1.1's extension columns: accepted, not stored.
            extra_prefix="metadata.",
            removal=_removal,
            removal_columns=tuple(column.name for column in HEAD),
            after_updates=after_updates,
        )
    )


def _removal(present: frozenset[str]) -> pl.Expr | None:
    """A tobedeleted row names its record; it needs no other cell (a bulk file's tobedeleted
    rows are refused by ``status_findings`` anyway)."""
    return stripped("status") == TOBEDELETED if "status" in present else None


def date_check(problem: str = "is not a date such as 2026-09-01") -> Check:
    def check(value: pl.Expr) -> pl.Expr:
        return pl.when(value.str.contains(ISO_DATE)).then(None).otherwise(pl.lit(problem))

    return Check("invalid_format", check)


def _true_or_false(value: pl.Expr) -> pl.Expr:
    return (
        pl.when(value.str.to_lowercase().is_in(["true", "false"]))
        .then(None)
        .otherwise(pl.format("'{}' is not true or false", value))
    )


# OneRoster's booleans: true or false, in any case.
TRUE_OR_FALSE = Check("invalid_boolean", _true_or_false)


def status_findings(context: BatchContext) -> list[Finding]:
    """The rules of ``status`` and ``dateLastModified`` for the file's mode (bulk or delta)."""
    present = context.present
    status = stripped("status") if "status" in present else pl.lit("")
    modified = stripped("dateLastModified") if "dateLastModified" in present else pl.lit("")
    bad_date = (modified != "") & ~modified.str.contains(ISO_DATETIME)
    date_text = pl.format("'{}' is not an ISO 8601 date and time such as 2026-09-01T08:00:00Z", modified)
    if context.file_mode == DELTA:
        return [
            Finding(
                "status",
                "not_allowed",
                pl.when(~status.is_in([ACTIVE, TOBEDELETED])).then(
                    pl.format("'{}' is not active or tobedeleted; every row of a delta file has one", status)
                ),
            ),
            Finding(
                "dateLastModified",
                "required",
                pl.when(modified == "").then(pl.lit("is required in a delta file")),
            ),
            Finding("dateLastModified", "invalid_format", pl.when(bad_date).then(date_text)),
        ]
    return [
        Finding(
            "status",
            "not_allowed",
            pl.when(~status.is_in(["", ACTIVE])).then(
                pl.format(
                    "'{}' is not allowed in a bulk file, which lists the records that exist; "
                    "leave it blank, or declare the file delta in manifest.csv",
                    status,
                )
            ),
        ),
        Finding("dateLastModified", "invalid_format", pl.when(bad_date).then(date_text)),
    ]


def head_findings(context: BatchContext, frame: pl.DataFrame) -> pl.DataFrame:
    """The messages of the head columns' rules on a writer's frame."""
    return findings(frame, status_findings(context))


def to_be_deleted(context: BatchContext) -> pl.Expr:
    """True on the rows of a delta file that deactivate or remove their record."""
    if context.file_mode != DELTA or "status" not in context.present:
        return pl.lit(False)
    return stripped("status") == TOBEDELETED


def id_list(column: str) -> pl.Expr:
    """A multi-valued cell as a list of trimmed, non-blank ids, de-duplicated in order."""
    return (
        stripped(column)
        .str.split(",")
        .list.eval(pl.element().str.strip_chars().filter(pl.element() != ""))
        .list.unique(maintain_order=True)
    )


def joined_ids(column: str) -> pl.Expr:
    """A multi-valued cell as stored: ids joined by commas, null when blank."""
    joined = id_list(column).list.join(",")
    return pl.when(joined == "").then(None).otherwise(joined)


def optional(column: str) -> pl.Expr:
    """An optional cell as stored: trimmed, null when blank (a blank cell clears)."""
    value = stripped(column)
    return pl.when(value == "").then(None).otherwise(value)


def known_ids(
    context: BatchContext, model: type[Base], ids: pl.Series, *, key: str = "source_id", accepted: str
) -> set[str]:
    """Which of ``ids`` are the tenant's stored ``model`` rows (by ``key``), or were accepted
    earlier in this bundle without being written (a dry run, the check pass of onError=abort,
    which ``remember`` records under ``accepted``)."""
    remembered: set[str] = context.cache.get(accepted, set())
    wanted = ids.filter(~ids.is_in(list(remembered)) & (ids != "")).unique()
    found = set(remembered) & set(ids.to_list())
    if len(wanted):
        other = None if table_of(model).key == (key,) else (key,)
        keys = pl.DataFrame({ROW: pl.int_range(len(wanted), eager=True, dtype=pl.Int64), key: wanted})
        found |= set(context.lookup(model, keys, [key], key=other)[key].to_list())
    return found


def remember(context: BatchContext, accepted: str, ids: pl.Series) -> None:
    """Keep the ids a batch accepted when nothing is written (see ``known_ids``): later files of
    the bundle look them up. A written batch needs no memo: its file commits before the next."""
    if context.dry_run:
        context.cache.setdefault(accepted, set()).update(ids.to_list())


def unknown_reference(column: str, value: pl.Expr, known: set[str], *, what: str, file: str) -> Finding:
    """An error on a row whose ``value`` (one id) is not among ``known``."""
    return Finding(
        column,
        "unknown_reference",
        pl.when((value != "") & ~value.is_in(list(known))).then(
            pl.format(f"'{{}}' is not the sourcedId of {what} in {file} or already imported", value)
        ),
    )


def with_deletions(
    context: BatchContext,
    *,
    model: type[Base],
    key: str,
    kept: TableWrite | None,
    deleted: pl.DataFrame,
    deactivate: bool,
    messages: pl.DataFrame,
) -> Planned:
    """The plan of a batch whose ``deleted`` rows (``_row`` and ``key``) are delta rows with
    status tobedeleted: they deactivate their records (``active`` = false) or remove them; the
    other rows upsert through ``kept``. A tobedeleted row whose record does not exist is unchanged."""
    other = None if table_of(model).key == (key,) else (key,)
    writes = [kept] if kept is not None else []
    gone: TableWrite | None = None
    if deleted.height:
        # Only stored records: a tobedeleted row for one never imported is unchanged (an update of
        # nothing would try to create it without its mandatory columns).
        stored = context.lookup(model, deleted, [], key=other)
        deleted = deleted.filter(pl.col(ROW).is_in(stored[ROW].implode()))
    if deleted.height:
        if deactivate:
            frame = deleted.select(ROW, key, pl.lit(False).alias("active"))
            gone = TableWrite(model, frame, context.constants(), key=other)
        else:
            gone = TableWrite(model, deleted.select(ROW, key), context.constants(), key=other, delete=True)
        writes.append(gone)
    if gone is None or not deactivate:
        return Planned(messages=messages, writes=writes, combine=_concat)

    def combine(outcomes: list[pl.DataFrame]) -> pl.DataFrame:
        # A deactivation that changed a row is reported as deactivated, not updated.
        *rest, last = outcomes
        last = last.with_columns(
            pl.when(pl.col("outcome") == UPDATED)
            .then(pl.lit(DEACTIVATED))
            .otherwise(pl.col("outcome"))
            .alias("outcome")
        )
        return _concat([*rest, last])

    return Planned(messages=messages, writes=writes, combine=combine)


def _concat(outcomes: list[pl.DataFrame]) -> pl.DataFrame:
    return pl.concat(outcomes) if outcomes else pl.DataFrame(schema={ROW: pl.Int64, "outcome": pl.Utf8})
