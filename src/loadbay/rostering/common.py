"""What every rostering template shares: TAO's update rules and reference lookups.

Update rules (the same for every template):
- a blank optional cell clears the stored value; a column left out keeps it;
- a row identical to what is stored is ``unchanged``;
- immutable fields cannot change (an error on that row).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl
from sqlalchemy import select

from loadbay.importing.batch import BatchContext
from loadbay.importing.planning import stripped
from loadbay.models import OrgUnit, RosterGroup


def cell(record: Mapping[str, object], column: str) -> str:
    return str(record.get(column) or "").strip()


def apply_optional(
    new: dict[str, Any], record: Mapping[str, object], present: frozenset[str], mapping: Mapping[str, str]
) -> None:
    """Copy present optional columns onto ``new``: a blank cell clears, a missing column keeps."""
    for column, attribute in mapping.items():
        if column in present:
            new[attribute] = cell(record, column) or None


def merge_metadata(
    stored_json: str | None, record: Mapping[str, object], columns: Iterable[str], prefix: str
) -> str | None:
    """``<prefix><KEY>`` columns onto the stored metadata: a blank cell removes its key."""
    metadata: dict[str, str] = json.loads(stored_json) if stored_json else {}
    for column in columns:
        value = cell(record, column)
        key = column[len(prefix) :]
        if value:
            metadata[key] = value
        else:
            metadata.pop(key, None)
    return json.dumps(metadata, sort_keys=True) if metadata else None


def normalize_list(value: str, separator: str) -> str:
    """Trimmed, de-duplicated, in the given order: ``A | B|A`` is stored as ``A|B``."""
    return separator.join(dict.fromkeys(part.strip() for part in value.split(separator) if part.strip()))


def known_org_ids(context: BatchContext) -> dict[str, str | None]:
    """The tenant's organization units (id → parent), plus units accepted earlier in this file."""
    if "org_parents" not in context.cache:
        rows = context.session.execute(
            select(OrgUnit.org_id, OrgUnit.parent_org_id).where(OrgUnit.tenant_id == context.tenant_id)
        )
        context.cache["org_parents"] = {row[0]: row[1] for row in rows}
    parents: dict[str, str | None] = context.cache["org_parents"]
    return parents


def known_group_names(context: BatchContext, names: Iterable[str]) -> set[str]:
    """Which of ``names`` are groups of the tenant, stored or accepted earlier in this file."""
    accepted: set[str] = context.cache.setdefault("groups_in_file", set())
    wanted = {name for name in names if name and name not in accepted}
    found = set(accepted)
    if wanted:
        found |= set(
            context.session.scalars(
                select(RosterGroup.name).where(
                    RosterGroup.tenant_id == context.tenant_id, RosterGroup.name.in_(wanted)
                )
            )
        )
    return found


def active_value(column: str, stored: str, exists: pl.Expr, present: frozenset[str]) -> pl.Expr:
    """TRUE/FALSE (1/0 accepted), blank meaning TRUE; a column left out keeps the stored value."""
    if column not in present:
        return pl.when(exists).then(pl.col(stored)).otherwise(pl.lit(True))
    return stripped(column).str.to_uppercase().is_in(["", "TRUE", "1"])


def active_warning(column: str, present: frozenset[str]) -> pl.Expr:
    if column not in present:
        return pl.lit(None, dtype=pl.Utf8)
    value = stripped(column).str.to_uppercase()
    return (
        pl.when(value == "1")
        .then(pl.lit(f"{column}: '1' read as TRUE; write TRUE or FALSE"))
        .when(value == "0")
        .then(pl.lit(f"{column}: '0' read as FALSE; write TRUE or FALSE"))
        .otherwise(None)
    )


def list_value(column: str, stored: str, present: frozenset[str], separator: str) -> pl.Expr:
    """A separated list, trimmed and de-duplicated in order; blank clears, left out keeps."""
    if column not in present:
        return pl.col(stored)
    parts = (
        stripped(column)
        .str.split(separator)
        .list.eval(pl.element().str.strip_chars().filter(pl.element() != ""))
    )
    joined = parts.list.unique(maintain_order=True).list.join(separator)
    return pl.when(joined == "").then(None).otherwise(joined)
