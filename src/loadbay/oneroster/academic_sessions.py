"""OneRoster ``academicSessions.csv`` → academic sessions: school years, semesters, terms and
grading periods, each keyed by its sourcedId.

A session's ``parentSourcedId`` (a term's school year) must be imported already or come earlier
in the file; ``endDate`` is not before ``startDate``. A delta's tobedeleted rows remove their
session, and so does a bulk file's sync for the sessions it leaves out.
"""

from __future__ import annotations

import polars as pl

from loadbay.importing.batch import BatchContext, Planned
from loadbay.importing.columns import Column, Required, one_of, pattern
from loadbay.importing.messages import Finding, error_rows, ordered
from loadbay.importing.planning import failed_rows, findings, stripped
from loadbay.importing.registry import SyncRule
from loadbay.importing.tables import ROW
from loadbay.importing.write import TableWrite
from loadbay.models import AcademicSession
from loadbay.oneroster.common import (
    date_check,
    head_findings,
    known_ids,
    oneroster_type,
    optional,
    remember,
    to_be_deleted,
    with_deletions,
)

SESSION_TYPES = ("gradingPeriod", "semester", "schoolYear", "term")
# The cache key of the sessions a batch accepted without writing them (see common.remember):
# courses.csv and classes.csv look their sessions up with it.
ACCEPTED = "oneroster.academicSessions"
DAY = "%Y-%m-%d"

COLUMNS = (
    Column("title", Required.ALWAYS, "The session's name (Fall 2026)."),
    Column(
        "type", Required.ALWAYS, "One of " + ", ".join(SESSION_TYPES) + ".", checks=(one_of(SESSION_TYPES),)
    ),
    Column("startDate", Required.ALWAYS, "Its first day, as 2026-09-01.", checks=(date_check(),)),
    Column(
        "endDate",
        Required.ALWAYS,
        "Its last day, as 2027-06-30; not before startDate.",
        checks=(date_check(),),
    ),
    Column("parentSourcedId", description="The session it is part of (a term's school year); blank: none."),
    Column(
        "schoolYear",
        Required.ALWAYS,
        "The school year, as the year it ends in (2027).",
        checks=(pattern(r"^\d{4}$", "is not a year of four digits such as 2027"),),
    ),
)


def _dates(df: pl.DataFrame) -> list[Finding]:
    """A date of the calendar each, and an end not before the start (a deleting row needs neither)."""
    start, end = stripped("startDate"), stripped("endDate")
    start_day, end_day = start.str.to_date(DAY, strict=False), end.str.to_date(DAY, strict=False)
    kept = ~pl.col("_deleted")
    return [
        Finding(
            "startDate",
            "invalid_value",
            pl.when(kept & start_day.is_null()).then(pl.format("'{}' is not a day of the calendar", start)),
        ),
        Finding(
            "endDate",
            "invalid_value",
            pl.when(kept & end_day.is_null()).then(pl.format("'{}' is not a day of the calendar", end)),
        ),
        Finding(
            "endDate",
            "invalid_value",
            pl.when(kept & (end_day < start_day)).then(
                pl.format("'{}' is before the startDate {}", end, start)
            ),
        ),
        Finding(
            "parentSourcedId",
            "invalid_hierarchy",
            pl.when(kept & (pl.col("_parent") == pl.col("_id"))).then(
                pl.lit("a session cannot be its own parent")
            ),
        ),
    ]


def _orphans(context: BatchContext, df: pl.DataFrame, failed: pl.Series) -> pl.Series:
    """The rows (``_row``) whose parent is neither stored nor a session accepted earlier in the
    file. A row that fails does not define its id, so its children fail too, down the tree."""
    stored = list(known_ids(context, AcademicSession, df["_parent"], accepted=ACCEPTED))
    children = df.filter(
        ~pl.col("_deleted") & (pl.col("_parent") != "") & ~pl.col(ROW).is_in(failed.implode())
    )
    orphans = pl.Series(ROW, [], dtype=pl.Int64)
    while True:
        out = failed.append(orphans).implode()
        defined = (
            df.filter(~pl.col("_deleted") & ~pl.col(ROW).is_in(out))
            .group_by("_id")
            .agg(pl.col(ROW).min().alias("_defined"))
            .rename({"_id": "_parent"})
        )
        earlier = (pl.col("_defined") < pl.col(ROW)).fill_null(False)
        new = (
            children.filter(~pl.col(ROW).is_in(orphans.implode()))
            .join(defined, on="_parent", how="left", maintain_order="left")
            .filter(~pl.col("_parent").is_in(stored) & ~earlier)[ROW]
        )
        if not len(new):
            return orphans
        orphans = orphans.append(new)


def plan_academic_sessions(context: BatchContext, frame: pl.DataFrame) -> Planned:
    """Upsert the batch's sessions; a delta's tobedeleted rows remove theirs."""
    present = context.present
    df = frame.with_columns(
        stripped("sourcedId").alias("_id"),
        (stripped("parentSourcedId") if "parentSourcedId" in present else pl.lit("")).alias("_parent"),
        to_be_deleted(context).alias("_deleted"),
    )
    local = ordered(head_findings(context, df), findings(df, _dates(df)))
    orphans = _orphans(context, df, failed=error_rows(local).cast(pl.Int64))
    unknown = Finding(
        "parentSourcedId",
        "unknown_reference",
        pl.when(pl.col(ROW).is_in(orphans.implode())).then(
            pl.format(
                "'{}' is not the sourcedId of an academic session earlier in academicSessions.csv "
                "or already imported",
                pl.col("_parent"),
            )
        ),
    )
    messages = ordered(local, findings(df, [unknown]))
    accepted = df.filter(~failed_rows(messages))
    kept = accepted.filter(~pl.col("_deleted"))
    remember(context, ACCEPTED, kept["_id"])
    rows = kept.select(
        ROW,
        pl.col("_id").alias("source_id"),
        stripped("title").alias("title"),
        stripped("type").alias("session_type"),
        stripped("startDate").alias("start_date"),
        stripped("endDate").alias("end_date"),
        *([optional("parentSourcedId").alias("parent_id")] if "parentSourcedId" in present else []),
        stripped("schoolYear").alias("school_year"),
    )
    write = TableWrite(AcademicSession, rows, context.constants()) if rows.height else None
    return with_deletions(
        context,
        model=AcademicSession,
        key="source_id",
        kept=write,
        deleted=accepted.filter(pl.col("_deleted")).select(ROW, pl.col("_id").alias("source_id")),
        deactivate=False,
        messages=messages,
    )


ACADEMIC_SESSIONS = oneroster_type(
    "academicSessions",
    description="OneRoster academic sessions: school years, semesters, terms and grading periods.",
    columns=COLUMNS,
    writer=plan_academic_sessions,
    sync=SyncRule(AcademicSession, deactivate=False, noun="academic sessions"),
)
