"""The TAO ``organizations`` template: a hierarchy of units under ``root``, at most 15 levels deep."""

from __future__ import annotations

import uuid
from typing import Any

import polars as pl

from loadbay.importing.batch import CREATED, FAILED, UNCHANGED, UPDATED, BatchContext, BatchResult
from loadbay.importing.columns import Column, Required
from loadbay.importing.planning import UpsertPlan
from loadbay.importing.registry import ImportType, register
from loadbay.importing.writing import fetch_existing
from loadbay.models import ROOT_ORGANIZATION, OrgUnit, utcnow
from loadbay.rostering.common import apply_optional, cell, known_org_ids

MAX_LEVELS = 15

ID = "hierarchy_organizationId"
NAME = "hierarchy_organizationName"
DESCRIPTION = "hierarchy_organizationDescription"
PARENT = "hierarchy_parentOrganizationId"

COLUMNS = (
    Column(ID, description="The unit's id; the key, cannot change. Generated when blank."),
    Column(NAME, Required.ALWAYS, "The unit's name."),
    Column(DESCRIPTION, description="Free text.", max_length=4000),
    Column(PARENT, Required.ALWAYS, "An existing unit, root, or a unit defined earlier in the same file."),
)
FIELDS = ("name", "description", "parent_org_id")


def _level_below_root(parent: str, org_id: str, parents: dict[str, str | None]) -> int | None:
    """The level a unit under ``parent`` would have (1 = directly under root); None on a cycle."""
    level = 1
    current: str | None = parent
    while current is not None and current != ROOT_ORGANIZATION:
        if current == org_id or level > MAX_LEVELS + 1:
            return None if current == org_id else level
        current = parents.get(current)
        level += 1
    return level


def write_organizations(context: BatchContext, frame: pl.DataFrame) -> BatchResult:
    # Rows are taken in file order: a unit may name as parent one defined a few lines above.
    parents = known_org_ids(context)
    records = frame.to_dicts()
    given_ids = [cell(record, ID) for record in records]
    stored_rows = fetch_existing(
        context.session,
        key=OrgUnit.org_id,
        columns=[OrgUnit.name, OrgUnit.description, OrgUnit.parent_org_id],
        tenant_id=context.tenant_id,
        keys=given_ids,
    )
    existing: dict[str, dict[str, Any]] = {
        org_id: dict(zip(FIELDS, row[1:], strict=True)) for org_id, row in stored_rows.items()
    }
    plan = UpsertPlan(OrgUnit, ("tenant_id", "org_id"))
    outcomes: list[str] = []
    messages: list[list[str]] = []
    keys: list[str] = []
    now = utcnow()
    for record, given in zip(records, given_ids, strict=True):
        org_id = given or f"org-{uuid.uuid4().hex[:16]}"
        parent = cell(record, PARENT)
        problems: list[str] = []
        if org_id == ROOT_ORGANIZATION:
            problems.append(f"{ID}: root is built in and cannot be imported")
        elif parent not in parents:
            problems.append(
                f"{PARENT}: '{parent}' is not an existing unit, root, or a unit defined earlier in this file"
            )
        else:
            level = _level_below_root(parent, org_id, parents)
            if level is None:
                problems.append(
                    f"{PARENT}: '{parent}' is inside '{org_id}'; a unit cannot be its own ancestor"
                )
            elif level > MAX_LEVELS:
                problems.append(
                    f"{PARENT}: the unit would be {level} levels below root; at most {MAX_LEVELS} are allowed"
                )
        keys.append(org_id)
        if problems:
            outcomes.append(FAILED)
            messages.append(problems)
            continue
        current = existing.get(org_id)
        stored = current or dict.fromkeys(FIELDS)
        new = dict(stored)
        new["name"] = cell(record, NAME)
        new["parent_org_id"] = parent
        apply_optional(new, record, context.present, {DESCRIPTION: "description"})
        changed = current is None or new != stored
        outcomes.append(CREATED if current is None else UPDATED if changed else UNCHANGED)
        messages.append([])
        parents[org_id] = parent
        existing[org_id] = new
        if changed:
            plan.add(
                {
                    "tenant_id": context.tenant_id,
                    "org_id": org_id,
                    **new,
                    "last_import_id": context.import_id,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    return BatchResult(outcomes=outcomes, messages=messages, apply=plan.apply, keys=keys)


ORGANIZATIONS = register(
    ImportType(
        name="organizations",
        description="Create or update organization units (the hierarchy users and groups belong to).",
        columns=COLUMNS,
        key_columns=(ID,),
        writer=write_organizations,
    )
)
