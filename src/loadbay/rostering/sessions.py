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

from loadbay.importing.batch import CREATED, FAILED, UNCHANGED, UPDATED, BatchContext, BatchResult
from loadbay.importing.columns import Check, Column, Required, pattern
from loadbay.importing.planning import UpsertPlan, apply_plans
from loadbay.importing.registry import ImportType, register
from loadbay.importing.writing import fetch_existing
from loadbay.models import TestSession, utcnow
from loadbay.rostering import groups
from loadbay.rostering.common import apply_optional, cell, known_group_names, normalize_list

ISO_8601 = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$"


@cache
def _timezones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def timezone_name(value: pl.Expr) -> pl.Expr:
    return (
        pl.when(value.is_in(_timezones()))
        .then(None)
        .otherwise(pl.format("'{}' is not an IANA time zone such as Europe/Paris", value))
    )


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
DELIVERY = Column("session_deliveryId", Required.ALWAYS, "The delivery the session runs.")
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


def _ordered(new: dict[str, Any]) -> str | None:
    start, end = _parsed(new["start_date"]), _parsed(new["end_date"])
    if start is None or end is None or (start.tzinfo is None) != (end.tzinfo is None):
        return None
    return None if start < end else "session_endDate: must be after session_startDate"


def _plan_sessions(
    context: BatchContext, frame: pl.DataFrame, group_ok: list[bool], group_problems: list[list[str]]
) -> tuple[list[str], list[list[str]], UpsertPlan]:
    records = frame.to_dicts()
    names = [cell(record, "session_name") for record in records]
    stored_rows = fetch_existing(
        context.session,
        key=TestSession.name,
        columns=[getattr(TestSession, name) for name in FIELDS],
        tenant_id=context.tenant_id,
        keys=names,
    )
    existing: dict[str, dict[str, Any]] = {
        name: dict(zip(FIELDS, row[1:], strict=True)) for name, row in stored_rows.items()
    }
    plan = UpsertPlan(TestSession, ("tenant_id", "name"))
    outcomes: list[str] = []
    messages: list[list[str]] = []
    now = utcnow()
    for record, name, ok, problems in zip(records, names, group_ok, group_problems, strict=True):
        problems = list(problems)
        current = existing.get(name)
        stored: dict[str, Any] = current or dict.fromkeys(FIELDS)
        new = dict(stored)
        apply_optional(new, record, context.present, _PLAIN)
        for column, attribute in _LISTS.items():
            if column in context.present:
                new[attribute] = normalize_list(cell(record, column), ",") or None
        group = cell(record, "group_name")
        if current is not None and current["group_name"] != group:
            problems.append(
                f"group_name: session '{name}' belongs to group '{current['group_name']}'; "
                "a session cannot move to another group"
            )
        new["group_name"] = group
        if not new["delivery_id"] and not new["battery_id"]:
            problems.append("session_deliveryId: give a delivery id (or a session_batteryId)")
        order = _ordered(new)
        if order:
            problems.append(order)
        if problems or not ok:
            outcomes.append(FAILED)
            messages.append(problems)
            continue
        changed = current is None or new != stored
        outcomes.append(CREATED if current is None else UPDATED if changed else UNCHANGED)
        messages.append([])
        existing[name] = new
        if changed:
            plan.add(
                {
                    "tenant_id": context.tenant_id,
                    "name": name,
                    **new,
                    "last_import_id": context.import_id,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    return outcomes, messages, plan


def write_sessions_in_existing_groups(context: BatchContext, frame: pl.DataFrame) -> BatchResult:
    names = [str(value).strip() for value in frame["group_name"]]
    found = known_group_names(context, names)
    group_ok = [name in found for name in names]
    group_problems = [
        [] if ok else [f"group_name: '{name}' is not an existing group; import it first"]
        for name, ok in zip(names, group_ok, strict=True)
    ]
    outcomes, messages, plan = _plan_sessions(context, frame, group_ok, group_problems)
    return BatchResult(outcomes=outcomes, messages=messages, apply=plan.apply)


def write_sessions_in_new_groups(context: BatchContext, frame: pl.DataFrame) -> BatchResult:
    planned_groups = groups.plan_groups(context, frame)
    group_ok = [outcome != FAILED for outcome in planned_groups.outcomes]
    outcomes, messages, plan = _plan_sessions(context, frame, group_ok, planned_groups.messages)
    for index, group_outcome in enumerate(planned_groups.outcomes):
        # A session whose group is new or changed counts as updated even if the session is not.
        if outcomes[index] == UNCHANGED and group_outcome in (CREATED, UPDATED):
            outcomes[index] = UPDATED
    return BatchResult(outcomes=outcomes, messages=messages, apply=apply_plans(planned_groups.plan, plan))


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
        writer=write_sessions_in_new_groups,
    )
)

SESSIONS_IN_EXISTING_GROUPS = register(
    ImportType(
        name="sessions-with-delivery-in-existing-groups",
        description="Create test sessions for groups that already exist.",
        columns=(DELIVERY_OR_BATTERY, BATTERY, GROUP, NAME, *SESSION_COLUMNS),
        key_columns=("session_name",),
        writer=write_sessions_in_existing_groups,
    )
)
