"""OneRoster ``classes.csv`` → roster groups: a class is a group of its school.

The group's name is the class's sourcedId (a tenant's group names are unique, class titles are
not) and its description the title. A class names its school (an org already imported), its
course (courses.csv) and one or more terms (``termSourcedIds``, academicSessions.csv); each
reference is checked. ``location``, ``subjectCodes`` and ``periods`` are accepted and not
stored: Loadbay's groups have no use for them. A delta's tobedeleted class is deactivated.
"""

from __future__ import annotations

import polars as pl

from loadbay.importing.batch import BatchContext, Planned
from loadbay.importing.columns import Column, Required, one_of
from loadbay.importing.messages import Finding, ordered
from loadbay.importing.planning import failed_rows, findings, stripped
from loadbay.importing.registry import SyncRule
from loadbay.importing.tables import ROW
from loadbay.importing.write import TableWrite
from loadbay.models import AcademicSession, Course, RosterGroup
from loadbay.oneroster import academic_sessions
from loadbay.oneroster import courses as course_file
from loadbay.oneroster.common import (
    head_findings,
    id_list,
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

CLASS_TYPES = ("homeroom", "scheduled")
# What ``remember`` records the ids a bundle accepted without writing them under (a dry run).
ACCEPTED_CLASSES = "oneroster.classes"

COLUMNS = (
    Column("title", Required.ALWAYS, "The class's title (the group's description)."),
    Column("grades", description="Grade levels, comma-separated."),
    Column("courseSourcedId", Required.ALWAYS, "The course (courses.csv) the class is a section of."),
    Column("classCode", description="The class's code."),
    Column(
        "classType",
        Required.ALWAYS,
        "One of " + ", ".join(CLASS_TYPES) + ".",
        checks=(one_of(CLASS_TYPES),),
    ),
    Column("location", description="Accepted, not stored."),
    Column("schoolSourcedId", Required.ALWAYS, "The class's school (orgs.csv)."),
    Column(
        "termSourcedIds",
        Required.ALWAYS,
        "The class's terms (academicSessions.csv), comma-separated.",
        max_length=None,
    ),
    Column("subjects", description="Subjects, comma-separated.", max_length=None),
    Column("subjectCodes", description="Accepted, not stored.", max_length=None),
    Column("periods", description="Accepted, not stored.", max_length=None),
)


def _known_schools(context: BatchContext, ids: pl.Series) -> set[str]:
    # The tenant's org ids are read once per import (known_org_ids caches them); only the
    # batch's distinct ids are set against them.
    orgs = known_org_ids(context)
    return {i for i in ids.unique().to_list() if i in orgs}


def _unknown_terms(known: set[str]) -> Finding:
    missing = pl.col("_terms").list.eval(pl.element().filter(~pl.element().is_in(list(known))))
    return Finding(
        "termSourcedIds",
        "unknown_reference",
        pl.when(missing.list.len() > 0).then(
            pl.format(
                "'{}' is not the sourcedId of an academic session in academicSessions.csv "
                "or already imported",
                missing.list.join("', '"),
            )
        ),
    )


def plan_classes(context: BatchContext, frame: pl.DataFrame) -> Planned:
    """Upsert the batch's classes as groups; a delta's tobedeleted rows deactivate theirs."""
    present = context.present
    df = frame.with_columns(
        stripped("sourcedId").alias("name"),
        stripped("schoolSourcedId").alias("_school"),
        stripped("courseSourcedId").alias("_course"),
        id_list("termSourcedIds").alias("_terms"),
        to_be_deleted(context).alias("_deleted"),
    )
    schools = _known_schools(context, df["_school"])
    courses = known_ids(context, Course, df["_course"], accepted=course_file.ACCEPTED)
    terms = known_ids(
        context, AcademicSession, df["_terms"].explode().drop_nulls(), accepted=academic_sessions.ACCEPTED
    )
    checks = [
        unknown_reference("courseSourcedId", pl.col("_course"), courses, what="a course", file="courses.csv"),
        unknown_reference("schoolSourcedId", pl.col("_school"), schools, what="an org", file="orgs.csv"),
        Finding(
            "termSourcedIds",
            "required",
            pl.when(pl.col("_terms").list.len() == 0).then(pl.lit("names no term")),
        ),
        _unknown_terms(terms),
    ]
    # A tobedeleted row only names its class: its references are not needed.
    messages = ordered(head_findings(context, df), findings(df.filter(~pl.col("_deleted")), checks))
    accepted = df.filter(~failed_rows(messages))
    kept = accepted.filter(~pl.col("_deleted"))
    remember(context, ACCEPTED_CLASSES, kept["name"])
    optional_columns = {"classCode": "class_code", "grades": "grades", "subjects": "subjects"}
    rows = kept.select(
        ROW,
        "name",
        stripped("title").alias("description"),
        pl.col("_school").alias("organization_id"),
        pl.col("_course").alias("course_id"),
        stripped("classType").alias("class_type"),
        pl.col("_terms").list.join(",").alias("term_ids"),
        *(
            (optional(column) if column == "classCode" else joined_ids(column)).alias(stored)
            for column, stored in optional_columns.items()
            if column in present
        ),
        pl.lit(True).alias("active"),
    )
    write = TableWrite(RosterGroup, rows, context.constants()) if rows.height else None
    return with_deletions(
        context,
        model=RosterGroup,
        key="name",
        kept=write,
        deleted=accepted.filter(pl.col("_deleted")).select(ROW, "name"),
        deactivate=True,
        messages=messages,
    )


CLASSES = oneroster_type(
    "classes",
    description="OneRoster classes: sections of a course in a school and its terms, as groups.",
    columns=COLUMNS,
    writer=plan_classes,
    sync=SyncRule(RosterGroup, deactivate=True, noun="classes"),
)
