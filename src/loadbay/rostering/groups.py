"""The TAO ``groups`` template: upsert keyed by ``group_name``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from loadbay.importing.batch import CREATED, FAILED, UNCHANGED, UPDATED, BatchContext, BatchResult
from loadbay.importing.columns import Column, Required, boolean
from loadbay.importing.registry import ImportType, register
from loadbay.models import RosterGroup, utcnow
from loadbay.rostering.common import (
    UpsertPlan,
    apply_optional,
    cell,
    is_warning,
    known_org_ids,
    merge_metadata,
    parse_active,
)
from loadbay.rostering.writing import fetch_existing

METADATA_PREFIX = "group_metadata_"

NAME = Column("group_name", Required.ALWAYS, "The group's name; the key, cannot change.")
DESCRIPTION = Column("group_description", description="Free text.", max_length=4000)
ACTIVE = Column("group_active", description="TRUE or FALSE; blank means TRUE.", checks=(boolean,))
ORGANIZATION = Column("group_organizationId", Required.ALWAYS, "An existing organization unit, or root.")
COLUMNS = (NAME, DESCRIPTION, ACTIVE, ORGANIZATION)

FIELDS = ("description", "active", "organization_id", "metadata_json")


@dataclass
class GroupPlan:
    outcomes: list[str] = field(default_factory=list)
    messages: list[list[str]] = field(default_factory=list)
    plan: UpsertPlan = field(default_factory=lambda: UpsertPlan(RosterGroup, ("tenant_id", "name")))


def plan_groups(context: BatchContext, frame: pl.DataFrame) -> GroupPlan:
    """Validate the group columns of ``frame`` and plan their upserts."""
    records = frame.to_dicts()
    names = [cell(record, "group_name") for record in records]
    stored_rows = fetch_existing(
        context.session,
        key=RosterGroup.name,
        columns=[getattr(RosterGroup, name) for name in FIELDS],
        tenant_id=context.tenant_id,
        keys=names,
    )
    existing: dict[str, dict[str, Any]] = {
        name: dict(zip(FIELDS, row[1:], strict=True)) for name, row in stored_rows.items()
    }
    org_ids = known_org_ids(context)
    accepted: set[str] = context.cache.setdefault("groups_in_file", set())
    metadata_columns = [name for name in frame.columns if name.startswith(METADATA_PREFIX)]
    result = GroupPlan()
    now = utcnow()
    for record, name in zip(records, names, strict=True):
        problems: list[str] = []
        current = existing.get(name)
        stored: dict[str, Any] = current or dict.fromkeys(FIELDS) | {"active": True}
        new = dict(stored)
        apply_optional(new, record, context.present, {"group_description": "description"})
        if "group_active" in context.present:
            new["active"] = parse_active(record["group_active"], "group_active", problems)
        organization = cell(record, "group_organizationId")
        if organization not in org_ids:
            problems.append(
                f"group_organizationId: '{organization}' is not an existing organization unit; "
                "use root or import the unit first"
            )
        new["organization_id"] = organization
        if metadata_columns:
            new["metadata_json"] = merge_metadata(
                stored["metadata_json"], record, metadata_columns, METADATA_PREFIX
            )
        if any(not is_warning(problem) for problem in problems):
            result.outcomes.append(FAILED)
            result.messages.append(problems)
            continue
        changed = current is None or new != stored
        result.outcomes.append(CREATED if current is None else UPDATED if changed else UNCHANGED)
        result.messages.append(problems)
        accepted.add(name)
        existing[name] = new
        if changed:
            result.plan.add(
                {
                    "tenant_id": context.tenant_id,
                    "name": name,
                    **{("metadata" if k == "metadata_json" else k): v for k, v in new.items()},
                    "last_import_id": context.import_id,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    return result


def write_groups(context: BatchContext, frame: pl.DataFrame) -> BatchResult:
    planned = plan_groups(context, frame)
    return BatchResult(outcomes=planned.outcomes, messages=planned.messages, apply=planned.plan.apply)


GROUPS = register(
    ImportType(
        name="groups",
        description="Create or update groups of users.",
        columns=COLUMNS,
        key_columns=("group_name",),
        writer=write_groups,
        extra_prefix=METADATA_PREFIX,
    )
)
