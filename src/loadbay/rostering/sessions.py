"""The TAO session templates: a test session delivering a delivery (or battery) to a group.

``sessions-with-delivery-in-new-groups`` creates (or updates) the group as well;
``sessions-with-delivery-in-existing-groups`` needs the group to exist. A session never
moves to another group.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import polars as pl

from loadbay.importing.batch import BatchContext, Planned
from loadbay.importing.columns import Check, Column, Required, pattern
from loadbay.importing.messages import ERROR, MESSAGE_SCHEMA, Finding
from loadbay.importing.planning import failed_rows, findings, stripped
from loadbay.importing.registry import ImportType, SyncRule, register
from loadbay.importing.tables import ROW
from loadbay.importing.write import TableWrite
from loadbay.models import TestSession
from loadbay.rostering import groups
from loadbay.rostering.common import apply_optional, cell, known_group_names, normalize_list

ISO_8601 = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$"


@cache
def _timezones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def _timezone_name(value: pl.Expr) -> pl.Expr:
    return (
        pl.when(value.is_in(_timezones()))
        .then(None)
        .otherwise(pl.format("'{}' is not an IANA time zone such as Europe/Paris", value))
    )


timezone_name = Check("not_allowed", _timezone_name)


def _date(name: str, description: str) -> Column:
    return Column(
        name,
        description=description,
        max_length=40,
        checks=(pattern(ISO_8601, "is not an ISO 8601 date or date-time such as 2026-05-04T09:00:00+02:00"),),
    )


def _list(name: str, description: str) -> Column:
    return Column(name, description=f"{description} (comma-separated).", max_length=4000)


NAME = Column("session_name", Required.ALWAYS, "The session's name; the key, cannot change.")
DELIVERY = Column("session_deliveryId", Required.ON_CREATE, "The delivery the session runs.")
DELIVERY_OR_BATTERY = Column(
    "session_deliveryId", description="The delivery; this or session_batteryId is required."
)
BATTERY = Column("session_batteryId", description="A battery, in place of session_deliveryId.")
GROUP = Column("group_name", Required.ALWAYS, "The group taking the session; cannot change.")
TIMEZONE_CHECKS: tuple[Check, ...] = (timezone_name,)
SESSION_COLUMNS = (
    Column(
        "session_timezone",
        description="IANA time zone such as Europe/Paris.",
        max_length=64,
        checks=TIMEZONE_CHECKS,
    ),
    _date("session_startDate", "When the session opens (ISO 8601)."),
    _date("session_endDate", "When it closes (ISO 8601)."),
    _date("session_submissionDate", "Submission deadline (ISO 8601)."),
    _date("session_waitingPageDate", "When the waiting page shows (ISO 8601)."),
    _list("session_securitySettings", "Security settings"),
    _list("session_reviewSettings", "Review settings"),
    _list("session_testRunnerAccessibilityPlugins", "Test runner accessibility plugins"),
    _list("session_testRunnerSessionPlugins", "Test runner session plugins"),
    _list("session_reportSettings", "Report settings"),
    Column("session_readAloud", description="Read-aloud setting.", max_length=64),
)

_PLAIN = {
    "session_deliveryId": "delivery_id",
    "session_batteryId": "battery_id",
    "session_timezone": "timezone",
    "session_startDate": "start_date",
    "session_endDate": "end_date",
    "session_submissionDate": "submission_date",
    "session_waitingPageDate": "waiting_page_date",
    "session_readAloud": "read_aloud",
}
_LISTS = {
    "session_securitySettings": "security_settings",
    "session_reviewSettings": "review_settings",
    "session_testRunnerAccessibilityPlugins": "accessibility_plugins",
    "session_testRunnerSessionPlugins": "session_plugins",
    "session_reportSettings": "report_settings",
}
FIELDS = ("group_name", *_PLAIN.values(), *_LISTS.values())


def _parsed(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def _ordered(new: dict[str, Any]) -> bool:
    """Whether the session ends before it starts (dates that do not parse are checked elsewhere)."""
    start, end = _parsed(new["start_date"]), _parsed(new["end_date"])
    if start is None or end is None or (start.tzinfo is None) != (end.tzinfo is None):
        return False
    return not start < end


def _plan_sessions(context: BatchContext, frame: pl.DataFrame) -> tuple[pl.DataFrame, TableWrite]:
    """Messages and the session write for the rows of ``frame`` (whose groups are fine), row by
    row: the rules compare each session with what is stored."""
    names = frame.select(ROW, stripped("session_name").alias("name"))
    stored_rows = context.lookup(TestSession, names, list(FIELDS))
    existing: dict[int, dict[str, Any]] = {row[ROW]: row for row in stored_rows.to_dicts()}
    messages: list[tuple[int, str | None, str, str]] = []
    planned: list[dict[str, Any]] = []
    present = context.present
    for record in frame.to_dicts():
        row = record[ROW]
        name = cell(record, "session_name")
        current = existing.get(row)
        stored: dict[str, Any] = (
            {field: current[field] for field in FIELDS} if current else dict.fromkeys(FIELDS)
        )
        new = dict(stored)
        apply_optional(new, record, present, _PLAIN)
        for column, attribute in _LISTS.items():
            if column in present:
                new[attribute] = normalize_list(cell(record, column), ",") or None
        group = cell(record, "group_name")
        problems: list[tuple[str | None, str, str]] = []
        if current is not None and current["group_name"] != group:
            problems.append(
                (
                    "group_name",
                    "immutable",
                    f"session '{name}' belongs to group '{current['group_name']}'; "
                    "a session cannot move to another group",
                )
            )
        new["group_name"] = group
        if not new["delivery_id"] and not new["battery_id"]:
            # Left out of a partial update, the stored delivery stays; a new session needs one.
            code = (
                "required" if current is not None or "session_deliveryId" in present else "required_on_create"
            )
            problems.append(("session_deliveryId", code, "give a delivery id (or a session_batteryId)"))
        if _ordered(new):
            problems.append(("session_endDate", "invalid_value", "must be after session_startDate"))
        if problems:
            messages.extend((row, column, code, text) for column, code, text in problems)
            continue
        planned.append({ROW: row, "name": name, **{field: new[field] for field in FIELDS}})
    found = pl.DataFrame(
        [(row, column, code, ERROR, text) for row, column, code, text in messages],
        schema=MESSAGE_SCHEMA,
        orient="row",
    )
    schema = {ROW: pl.Int64, "name": pl.Utf8, **dict.fromkeys(FIELDS, pl.Utf8)}
    rows = pl.DataFrame(planned, schema=schema) if planned else pl.DataFrame(schema=schema)
    return found, TableWrite(TestSession, rows, context.constants())


def write_sessions_in_existing_groups(context: BatchContext, frame: pl.DataFrame) -> Planned:
    known = list(known_group_names(context, frame.select(stripped("group_name"))["group_name"]))
    group_messages = findings_of_groups(frame, known)
    messages, write = _plan_sessions(context, frame.filter(~failed_rows(group_messages)))
    return Planned(
        messages=pl.concat([group_messages, messages]).sort("row", maintain_order=True), writes=[write]
    )


def findings_of_groups(frame: pl.DataFrame, known: list[str]) -> pl.DataFrame:
    group = stripped("group_name")
    return findings(
        frame,
        [
            Finding(
                "group_name",
                "unknown_reference",
                pl.when(~group.is_in(known)).then(
                    pl.format("'{}' is not an existing group; import it first", group)
                ),
            )
        ],
    )


def write_sessions_in_new_groups(context: BatchContext, frame: pl.DataFrame) -> Planned:
    # The groups first; a session whose group is new or changed counts as updated even if it is not.
    planned_groups = groups.plan_groups(context, frame, decides_outcome=False, referenced=True)
    messages, write = _plan_sessions(context, frame.filter(~failed_rows(planned_groups.messages)))
    return Planned(
        messages=pl.concat([planned_groups.messages, messages]).sort("row", maintain_order=True),
        writes=[*planned_groups.writes, write],
    )


# mode=sync removes the sessions a full file leaves out (their groups stay).
SESSION_SYNC = SyncRule(TestSession, deactivate=False, noun="sessions")

SESSIONS_IN_NEW_GROUPS = register(
    ImportType(
        name="sessions-with-delivery-in-new-groups",
        description="Create test sessions together with the groups that take them.",
        columns=(
            DELIVERY,
            GROUP,
            groups.DESCRIPTION,
            groups.ACTIVE,
            NAME,
            *SESSION_COLUMNS,
            groups.ORGANIZATION,
        ),
        key_columns=("session_name",),
        sync=SESSION_SYNC,
        writer=write_sessions_in_new_groups,
    )
)

SESSIONS_IN_EXISTING_GROUPS = register(
    ImportType(
        name="sessions-with-delivery-in-existing-groups",
        description="Create test sessions for groups that already exist.",
        columns=(DELIVERY_OR_BATTERY, BATTERY, GROUP, NAME, *SESSION_COLUMNS),
        key_columns=("session_name",),
        sync=SESSION_SYNC,
        writer=write_sessions_in_existing_groups,
    )
)
