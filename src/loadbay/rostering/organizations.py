"""The TAO ``organizations`` template: a hierarchy of units under ``root``, at most 15 levels deep."""

from __future__ import annotations

import uuid
from typing import Any

import polars as pl

from loadbay.importing.batch import BatchContext, Planned
from loadbay.importing.columns import Column, Required
from loadbay.importing.messages import ERROR, MESSAGE_SCHEMA
from loadbay.importing.registry import ImportType, SyncRule, register
from loadbay.importing.tables import ROW
from loadbay.importing.write import TableWrite
from loadbay.models import ROOT_ORGANIZATION, OrgUnit
from loadbay.rostering.common import apply_optional, cell, known_org_ids

MAX_LEVELS = 15

ID = "hierarchy_organizationId"
NAME = "hierarchy_organizationName"
DESCRIPTION = "hierarchy_organizationDescription"
PARENT = "hierarchy_parentOrganizationId"

COLUMNS = (
    Column(ID, description="The unit's id; the key, cannot change. Generated when blank."),
    Column(NAME, Required.ON_CREATE, "The unit's name."),
    Column(DESCRIPTION, description="Free text.", max_length=4000),
    Column(PARENT, Required.ON_CREATE, "An existing unit, root, or a unit defined earlier in the same file."),
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


def write_organizations(context: BatchContext, frame: pl.DataFrame) -> Planned:
    # Rows are taken in file order: a unit may name as parent one defined a few lines above.
    parents = known_org_ids(context)
    records = frame.to_dicts()
    given = frame.select(ROW, pl.col(ID).fill_null("").str.strip_chars().alias("org_id"))
    stored_rows = context.lookup(OrgUnit, given.filter(pl.col("org_id") != ""), list(FIELDS))
    existing: dict[str, dict[str, Any]] = {
        row["org_id"]: {field: row[field] for field in FIELDS}
        for row in stored_rows.join(given, on=ROW).to_dicts()
    }
    messages: list[tuple[int, str, str, str, str]] = []
    planned: dict[str, dict[str, Any]] = {}
    keys: list[tuple[int, str]] = []
    present = context.present
    # A partial update: a column the file leaves out keeps the unit's stored value.
    left_out = [column for column in (NAME, PARENT) if column not in present]
    for record in records:
        row = record[ROW]
        org_id = cell(record, ID) or f"org-{uuid.uuid4().hex[:16]}"
        current = existing.get(org_id)
        parent = cell(record, PARENT) if PARENT in present else (current or {}).get("parent_org_id") or ""
        problem: tuple[str, str, str] | None = None
        if left_out and current is None:
            problem = (left_out[0], "required_on_create", "is required when the unit is created")
        elif org_id == ROOT_ORGANIZATION:
            problem = (ID, "invalid_hierarchy", "root is built in and cannot be imported")
        elif parent not in parents:
            problem = (
                PARENT,
                "unknown_reference",
                f"'{parent}' is not an existing unit, root, or a unit defined earlier in this file",
            )
        else:
            level = _level_below_root(parent, org_id, parents)
            if level is None:
                problem = (
                    PARENT,
                    "invalid_hierarchy",
                    f"'{parent}' is inside '{org_id}'; a unit cannot be its own ancestor",
                )
            elif level > MAX_LEVELS:
                problem = (
                    PARENT,
                    "invalid_hierarchy",
                    f"the unit would be {level} levels below root; at most {MAX_LEVELS} are allowed",
                )
        keys.append((row, org_id))
        if problem is not None:
            messages.append((row, problem[0], problem[1], ERROR, problem[2]))
            continue
        new = dict(current or dict.fromkeys(FIELDS))
        if NAME in present:
            new["name"] = cell(record, NAME)
        new["parent_org_id"] = parent
        apply_optional(new, record, context.present, {DESCRIPTION: "description"})
        parents[org_id] = parent
        existing[org_id] = new
        # Named by a file, a unit is active: the template has no column to say otherwise, so this
        # is how a unit an earlier mode=sync deactivated comes back.
        planned[org_id] = {ROW: row, "org_id": org_id, **new, "active": True}
    schema = {ROW: pl.Int64, "org_id": pl.Utf8, **dict.fromkeys(FIELDS, pl.Utf8), "active": pl.Boolean}
    rows = pl.DataFrame(list(planned.values()), schema=schema) if planned else pl.DataFrame(schema=schema)
    return Planned(
        messages=pl.DataFrame(messages, schema=MESSAGE_SCHEMA, orient="row"),
        writes=[TableWrite(OrgUnit, rows, context.constants())],
        keys=pl.DataFrame(keys, schema={ROW: pl.Int64, "key": pl.Utf8}, orient="row"),
    )


ORGANIZATIONS = register(
    ImportType(
        name="organizations",
        description="Create or update organization units (the hierarchy users and groups belong to).",
        columns=COLUMNS,
        key_columns=(ID,),
        sync=SyncRule(OrgUnit, deactivate=True, noun="organization units", keep=(ROOT_ORGANIZATION,)),
        writer=write_organizations,
    )
)
