"""OneRoster ``enrollments.csv`` → group memberships: a user's role in a class, keyed by sourcedId.

The membership's group is the class (its group is named by the class's sourcedId), its user the
one whose sourcedId is ``userSourcedId`` (stored by username, looked up once per batch), and its
role OneRoster's (administrator, proctor, student, teacher). The row also keeps the user's
sourcedId, the school, ``primary`` and the begin and end dates. A delta row with the same
sourcedId and another class moves the enrollment; a tobedeleted one removes it.

Bundles hold a million enrollments, so every check here is a set operation over the batch: the
tenant's class names and orgs are read once per import, users once per batch.
"""

from __future__ import annotations

import polars as pl

from loadbay.importing.batch import BatchContext, Planned
from loadbay.importing.bulk import Query
from loadbay.importing.columns import Column, Required, one_of
from loadbay.importing.messages import Finding, ordered
from loadbay.importing.planning import failed_rows, findings, stripped
from loadbay.importing.registry import SyncRule
from loadbay.importing.tables import ROW, frame_of, literal, quoted, select_all, table_of
from loadbay.importing.write import TableWrite
from loadbay.models import Base, GroupMembership, RosterGroup, RosterUser
from loadbay.oneroster import users
from loadbay.oneroster.classes import ACCEPTED_CLASSES
from loadbay.oneroster.common import (
    TRUE_OR_FALSE,
    date_check,
    head_findings,
    oneroster_type,
    optional,
    to_be_deleted,
    with_deletions,
)
from loadbay.rostering.common import known_org_ids

ROLES = ("administrator", "proctor", "student", "teacher")
# Up to this many groups, a tenant's group names are read once per import and kept; beyond,
# each batch looks its classes up.
CLASS_NAMES_READ_AT_ONCE = 200_000
_CLASS_NAMES = "oneroster.enrollments.class_names"
_MEMBERSHIPS_AT_START = "oneroster.enrollments.memberships_at_start"
_LINKS_SEEN = "oneroster.enrollments.links_seen"
LINK = ("username", "group_name", "role")


COLUMNS = (
    Column("classSourcedId", Required.ALWAYS, "The class (classes.csv)."),
    Column("schoolSourcedId", Required.ALWAYS, "The class's school (orgs.csv)."),
    Column("userSourcedId", Required.ALWAYS, "The user (users.csv)."),
    Column("role", Required.ALWAYS, "One of " + ", ".join(ROLES) + ".", checks=(one_of(ROLES),)),
    Column(
        "primary",
        description="true or false: the class's primary teacher. Blank: not said.",
        checks=(TRUE_OR_FALSE,),
    ),
    Column("beginDate", description="The first day of the enrollment (YYYY-MM-DD).", checks=(date_check(),)),
    Column("endDate", description="The last day of the enrollment (YYYY-MM-DD).", checks=(date_check(),)),
)


def _tenant_count(context: BatchContext, model: type[Base]) -> int:
    table = table_of(model)
    sql = (
        f"SELECT COUNT(*) AS n FROM {quoted(table.name)} "  # noqa: S608
        f"WHERE {quoted(table.scope)} = {literal(context.tenant_id)}"
    )
    return int(frame_of(context.bulk.run([Query(sql)])[0])["n"][0])


def _stored_class_names(context: BatchContext) -> pl.Series | None:
    """The tenant's group names, read at the first batch of the import when there are not too
    many (None: there are; look them up per batch). Kept apart per dry run: the check pass of
    onError=abort reads them before the bundle's classes are written, the write pass after."""
    key = f"{_CLASS_NAMES}.{context.dry_run}"
    if key not in context.cache:
        read: pl.Series | None = None
        if _tenant_count(context, RosterGroup) <= CLASS_NAMES_READ_AT_ONCE:
            stored = select_all(context.bulk, RosterGroup, scope_value=context.tenant_id, columns=["name"])
            read = stored["name"]
        context.cache[key] = read
    names: pl.Series | None = context.cache[key]
    return names


def _known_classes(context: BatchContext, wanted: pl.Series) -> pl.Series:
    """Which of ``wanted`` (distinct class ids) are groups of the tenant or classes accepted
    earlier in the bundle without being written (a dry run)."""
    remembered = pl.Series(list(context.cache.get(ACCEPTED_CLASSES, ())), dtype=pl.Utf8)
    names = _stored_class_names(context)
    if names is not None:
        return wanted.filter(wanted.is_in(names.implode()) | wanted.is_in(remembered.implode()))
    keys = pl.DataFrame({ROW: pl.int_range(len(wanted), eager=True, dtype=pl.Int64), "name": wanted})
    found = context.lookup(RosterGroup, keys, ["name"])["name"]
    return wanted.filter(wanted.is_in(found.implode()) | wanted.is_in(remembered.implode()))


def _usernames(context: BatchContext, wanted: pl.Series) -> pl.DataFrame:
    """``user_source_id`` → ``username`` of the users among ``wanted`` (distinct sourcedIds), in
    one query. In a dry run the users.csv before was not written: a user it accepted has no
    stored username yet, and its sourcedId stands in for it in the planned (unwritten) row."""
    keys = pl.DataFrame({ROW: pl.int_range(len(wanted), eager=True, dtype=pl.Int64), "source_id": wanted})
    stored = context.lookup(RosterUser, keys, ["source_id", "username"], key=("source_id",)).select(
        pl.col("source_id").alias("user_source_id"), "username"
    )
    remembered: set[str] = context.cache.get(users.ACCEPTED, set())
    if not remembered:
        return stored
    standing_in = wanted.filter(
        ~wanted.is_in(stored["user_source_id"].implode())
        & wanted.is_in(pl.Series(list(remembered)).implode())
    )
    return pl.concat([stored, pl.DataFrame({"user_source_id": standing_in, "username": standing_in})])


def _reference_checks(context: BatchContext, df: pl.DataFrame) -> tuple[pl.DataFrame, list[Finding]]:
    """``df`` with each row's username (null: unknown user) and the findings of its references.
    A tobedeleted row names only what it removes: its references are not checked."""
    live = df.filter(~pl.col("_deleted"))
    classes = _known_classes(context, live["group_name"].unique())
    orgs = known_org_ids(context)
    schools = [s for s in live["school_id"].unique().to_list() if s in orgs]
    users = _usernames(context, live["user_source_id"].unique())
    df = df.join(users, on="user_source_id", how="left", maintain_order="left")
    live_row = ~pl.col("_deleted")

    def unknown(column: str, value: str, ok: pl.Expr, what: str, file: str) -> Finding:
        return Finding(
            column,
            "unknown_reference",
            pl.when(live_row & ~ok).then(
                pl.format(
                    f"'{{}}' is not the sourcedId of {what} in {file} or already imported", pl.col(value)
                )
            ),
        )

    checks = [
        unknown(
            "classSourcedId",
            "group_name",
            pl.col("group_name").is_in(classes.implode()),
            "a class",
            "classes.csv",
        ),
        unknown("schoolSourcedId", "school_id", pl.col("school_id").is_in(schools), "an org", "orgs.csv"),
        unknown("userSourcedId", "user_source_id", pl.col("username").is_not_null(), "a user", "users.csv"),
    ]
    return df, checks


def _duplicate_links(context: BatchContext, live: pl.DataFrame) -> pl.DataFrame:
    """Errors on the rows (not failed, not tobedeleted) that would give a user a role in a class
    the user has already by another enrollment: a membership's user, group and role are unique,
    and the database would refuse the whole batch. Another enrollment is an earlier row of the
    file (hashes of the links it accepted are kept per import) or a stored one with another
    sourcedId (or a TAO link). Stored ones are looked up only when the tenant had memberships
    when the import began: on an initial load the file's own earlier rows are all there is."""
    suffix = f".{context.dry_run}"
    if _MEMBERSHIPS_AT_START + suffix not in context.cache:
        context.cache[_MEMBERSHIPS_AT_START + suffix] = _tenant_count(context, GroupMembership)
        context.cache[_LINKS_SEEN + suffix] = pl.Series(dtype=pl.UInt64)
    seen: pl.Series = context.cache[_LINKS_SEEN + suffix]
    df = live.with_columns(pl.struct(*LINK).hash().alias("_link"))
    other: pl.Expr = pl.when(
        ~pl.col("_link").is_first_distinct() | pl.col("_link").is_in(seen.implode())
    ).then(pl.lit("another enrollment of this file"))
    if context.cache[_MEMBERSHIPS_AT_START + suffix]:
        stored = context.lookup(GroupMembership, df.select(ROW, *LINK), ["source_id", "last_import_id"])
        stored = stored.select(
            ROW,
            pl.col("source_id").alias("_stored_id"),
            pl.lit(True).alias("_stored"),
            # Written by this import before a takeover: an earlier row of this file, as an
            # uninterrupted run calls it.
            (pl.col("last_import_id") == context.import_id).alias("_ours"),
        )
        df = df.join(stored, on=ROW, how="left", maintain_order="left")
        theirs = pl.col("_stored").fill_null(False) & (pl.col("_stored_id") != pl.col("source_id")).fill_null(
            True
        )
        other = (
            pl.when(theirs & pl.col("_stored_id").is_null())
            .then(pl.lit("a TAO group link"))
            .when(theirs & pl.col("_ours").fill_null(False))
            .then(pl.lit("another enrollment of this file"))
            .when(theirs)
            .then(pl.format("enrollment '{}'", pl.col("_stored_id")))
            .otherwise(other)
        )
    df = df.with_columns(other.alias("_other"))
    text = pl.format(
        "{} gives user '{}' the role {} in class '{}' already; a user has each role in a class once",
        pl.col("_other"),
        pl.col("user_source_id"),
        pl.col("role"),
        pl.col("group_name"),
    )
    messages = findings(
        df, [Finding("classSourcedId", "duplicate_key", pl.when(pl.col("_other").is_not_null()).then(text))]
    )
    seen.append(df.filter(pl.col("_other").is_null())["_link"])
    return messages


def _date_order(present: frozenset[str]) -> list[Finding]:
    if not {"beginDate", "endDate"} <= present:
        return []
    begin, end = stripped("beginDate"), stripped("endDate")
    return [
        Finding(
            "endDate",
            "invalid_value",
            pl.when((begin != "") & (end != "") & (end < begin)).then(
                pl.format("'{}' is before beginDate '{}'", end, begin)
            ),
        )
    ]


def plan_enrollments(context: BatchContext, frame: pl.DataFrame) -> Planned:
    """Upsert the batch's enrollments by sourcedId; a delta's tobedeleted rows remove theirs."""
    present = context.present
    df = frame.with_columns(
        stripped("sourcedId").alias("source_id"),
        stripped("classSourcedId").alias("group_name"),
        stripped("schoolSourcedId").alias("school_id"),
        stripped("userSourcedId").alias("user_source_id"),
        to_be_deleted(context).alias("_deleted"),
    )
    df, checks = _reference_checks(context, df)
    messages = ordered(head_findings(context, df), findings(df, [*checks, *_date_order(present)]))
    live = df.filter(~failed_rows(messages) & ~pl.col("_deleted")).with_columns(
        stripped("role").alias("role")
    )
    if live.height:
        messages = ordered(messages, _duplicate_links(context, live))
    accepted = df.filter(~failed_rows(messages))
    kept = accepted.filter(~pl.col("_deleted"))
    primary = stripped("primary").str.to_lowercase()
    rows = kept.select(
        ROW,
        "source_id",
        "username",
        "group_name",
        stripped("role").alias("role"),
        "user_source_id",
        "school_id",
        *(
            [pl.when(primary == "").then(None).otherwise(primary == "true").alias("is_primary")]
            if "primary" in present
            else []
        ),
        *([optional("beginDate").alias("begin_date")] if "beginDate" in present else []),
        *([optional("endDate").alias("end_date")] if "endDate" in present else []),
    )
    write = (
        TableWrite(GroupMembership, rows, context.constants(), key=("source_id",)) if rows.height else None
    )
    return with_deletions(
        context,
        model=GroupMembership,
        key="source_id",
        kept=write,
        deleted=accepted.filter(pl.col("_deleted")).select(ROW, "source_id"),
        deactivate=False,
        messages=messages,
    )


ENROLLMENTS = oneroster_type(
    "enrollments",
    description="OneRoster enrollments: users' roles in classes, as group memberships.",
    columns=COLUMNS,
    writer=plan_enrollments,
    # TAO's links (no sourcedId) are not the file's to remove: the sync names rows by source_id.
    sync=SyncRule(GroupMembership, deactivate=False, noun="enrollments", key=("source_id",)),
)
