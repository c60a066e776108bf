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

from loadbay.importing.batch import BatchContext
from loadbay.importing.messages import WARNING, Finding
from loadbay.importing.planning import stripped
from loadbay.importing.tables import ROW, select_all
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


def merged_metadata(
    context: BatchContext, frame: pl.DataFrame, *, model: type[Any], key: str, prefix: str
) -> pl.Series:
    """The metadata of each row of ``frame`` (``_row``, ``key``): the stored JSON with the file's
    ``<prefix><KEY>`` columns merged in. Only files with such columns come here."""
    columns = [name for name in frame.columns if name.startswith(prefix)]
    stored = context.lookup(model, frame.select(ROW, key), ["metadata"])
    old = frame.select(ROW).join(stored, on=ROW, how="left", maintain_order="left")["metadata"].to_list()
    records = frame.select(columns).to_dicts()
    merged = [merge_metadata(o, r, columns, prefix) for o, r in zip(old, records, strict=True)]
    return pl.Series("metadata", merged, dtype=pl.Utf8)


def normalize_list(value: str, separator: str) -> str:
    """Trimmed, de-duplicated, in the given order: ``A | B|A`` is stored as ``A|B``."""
    return separator.join(dict.fromkeys(part.strip() for part in value.split(separator) if part.strip()))


def known_org_ids(context: BatchContext) -> dict[str, str | None]:
    """The tenant's organization units (id → parent), plus units accepted earlier in this file."""
    if "org_parents" not in context.cache:
        rows = select_all(
            context.bulk, OrgUnit, scope_value=context.tenant_id, columns=["org_id", "parent_org_id"]
        )
        context.cache["org_parents"] = dict(zip(rows["org_id"], rows["parent_org_id"], strict=True))
    parents: dict[str, str | None] = context.cache["org_parents"]
    return parents


def unknown_org(column: str, context: BatchContext) -> Finding:
    value = stripped(column)
    return Finding(
        column,
        "unknown_reference",
        pl.when(~value.is_in(list(known_org_ids(context)))).then(
            pl.format("'{}' is not an existing organization unit; use root or import the unit first", value)
        ),
    )


def known_group_names(context: BatchContext, names: pl.Series) -> set[str]:
    """Which of ``names`` are groups of the tenant, stored or accepted earlier in this file."""
    accepted: set[str] = context.cache.setdefault("groups_in_file", set())
    wanted = names.filter(~names.is_in(list(accepted)) & (names != "")).unique()
    found = set(accepted)
    if len(wanted):
        keys = pl.DataFrame({ROW: pl.int_range(len(wanted), eager=True, dtype=pl.Int64), "name": wanted})
        found |= set(context.lookup(RosterGroup, keys, ["name"])["name"].to_list())
    return found


def active_value(column: str) -> pl.Expr:
    """TRUE/FALSE (1/0 accepted), blank meaning TRUE."""
    return stripped(column).str.to_uppercase().is_in(["", "TRUE", "1"])


def active_warning(column: str) -> Finding:
    value = stripped(column).str.to_uppercase()
    text = (
        pl.when(value == "1")
        .then(pl.lit("'1' read as TRUE; write TRUE or FALSE"))
        .when(value == "0")
        .then(pl.lit("'0' read as FALSE; write TRUE or FALSE"))
    )
    return Finding(column, "boolean_number", text, WARNING)


def list_value(column: str, separator: str) -> pl.Expr:
    """A separated list, trimmed and de-duplicated in order; blank clears."""
    parts = (
        stripped(column)
        .str.split(separator)
        .list.eval(pl.element().str.strip_chars().filter(pl.element() != ""))
    )
    joined = parts.list.unique(maintain_order=True).list.join(separator)
    return pl.when(joined == "").then(None).otherwise(joined)
