"""OneRoster ``courses.csv`` → courses, each keyed by its sourcedId.

A course belongs to an org of orgs.csv (``orgSourcedId``) and may name its school year, an
academic session of academicSessions.csv (``schoolYearSourcedId``). ``grades``, ``subjects`` and
``subjectCodes`` are multi-valued cells, stored joined by commas. A delta's tobedeleted rows
remove their course, and so does a bulk file's sync for the courses it leaves out.
"""

from __future__ import annotations

import polars as pl

from loadbay.importing.batch import BatchContext, Planned
from loadbay.importing.columns import Column, Required
from loadbay.importing.messages import ordered
from loadbay.importing.planning import failed_rows, findings, stripped
from loadbay.importing.registry import SyncRule
from loadbay.importing.tables import ROW
from loadbay.importing.write import TableWrite
from loadbay.models import ROOT_ORGANIZATION, AcademicSession, Course
from loadbay.oneroster import academic_sessions
from loadbay.oneroster.common import (
    head_findings,
    joined_ids,
    known_ids,
    oneroster_type,
    optional,
    remember,
    to_be_deleted,
    unknown_reference,
    with_deletions,
)
from loadbay.rostering.common import known_org_ids

# The cache key of the courses a batch accepted without writing them (see common.remember):
# classes.csv looks its courses up with it.
ACCEPTED = "oneroster.courses"

COLUMNS = (
    Column("schoolYearSourcedId", description="The school year, an academic session; blank: none."),
    Column("title", Required.ALWAYS, "The course's name."),
    Column("courseCode", description="The course's code in the catalog."),
    Column("grades", description="The grades it is taught in, comma-separated (09,10)."),
    Column("orgSourcedId", Required.ALWAYS, "The org (a school or district) that offers it."),
    Column("subjects", description="Its subjects, comma-separated.", max_length=4000),
    Column("subjectCodes", description="Its SCED subject codes, comma-separated.", max_length=4000),
)
# Optional columns as stored (a column the file leaves out keeps the stored value).
OPTIONAL = {"schoolYearSourcedId": "school_year_id", "courseCode": "course_code"}
MULTI_VALUED = {"grades": "grades", "subjects": "subjects", "subjectCodes": "subject_codes"}


def plan_courses(context: BatchContext, frame: pl.DataFrame) -> Planned:
    """Upsert the batch's courses; a delta's tobedeleted rows remove theirs."""
    present = context.present
    df = frame.with_columns(
        stripped("sourcedId").alias("_id"),
        stripped("orgSourcedId").alias("_org"),
        (stripped("schoolYearSourcedId") if "schoolYearSourcedId" in present else pl.lit("")).alias("_year"),
        to_be_deleted(context).alias("_deleted"),
    )
    # A row that removes its course needs no valid references.
    checked = df.filter(~pl.col("_deleted"))
    orgs = set(checked["_org"].unique().to_list()) & set(known_org_ids(context))
    orgs.discard(ROOT_ORGANIZATION)
    years = known_ids(context, AcademicSession, checked["_year"], accepted=academic_sessions.ACCEPTED)
    checks = [
        unknown_reference(
            "schoolYearSourcedId",
            pl.col("_year"),
            years,
            what="an academic session",
            file="academicSessions.csv",
        ),
        unknown_reference("orgSourcedId", pl.col("_org"), orgs, what="an org", file="orgs.csv"),
    ]
    messages = ordered(head_findings(context, df), findings(checked, checks))
    accepted = df.filter(~failed_rows(messages))
    kept = accepted.filter(~pl.col("_deleted"))
    remember(context, ACCEPTED, kept["_id"])
    rows = kept.select(
        ROW,
        pl.col("_id").alias("source_id"),
        stripped("title").alias("title"),
        pl.col("_org").alias("org_id"),
        *(optional(column).alias(name) for column, name in OPTIONAL.items() if column in present),
        *(joined_ids(column).alias(name) for column, name in MULTI_VALUED.items() if column in present),
    )
    write = TableWrite(Course, rows, context.constants()) if rows.height else None
    return with_deletions(
        context,
        model=Course,
        key="source_id",
        kept=write,
        deleted=accepted.filter(pl.col("_deleted")).select(ROW, pl.col("_id").alias("source_id")),
        deactivate=False,
        messages=messages,
    )


COURSES = oneroster_type(
    "courses",
    description="OneRoster courses: what the classes of classes.csv are sections of.",
    columns=COLUMNS,
    writer=plan_courses,
    sync=SyncRule(Course, deactivate=False, noun="courses"),
)
