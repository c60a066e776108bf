"""mode=sync: the tenant's rows of the template that a full file did not mention.

Canvas calls it batch mode: the file is the tenant's complete list, so what it leaves out goes.
Before the first row is written the file's keys are read (its key columns only, stripped the
way the writers strip them) and set against the tenant's stored rows; when more than
``changeThreshold`` percent of them would go, the file is refused as a whole and nothing is
written. After the last batch the rows still missing are deactivated (users, groups,
organization units: ``active = false``) or removed (links, sessions), in one transaction with
the checkpoint that counts them and names their result part done (``synced_at``), so a run
taken over after a crash neither redoes nor loses the step.

A row that failed validation still names its key: a typo in one cell of a user's row does not
deactivate the user. A row with a blank key names nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from loadbay.config import Settings
from loadbay.importing.bulk import BulkSession, Ingest, Query, Step
from loadbay.importing.csvtext import FileRejected
from loadbay.importing.read import open_stored
from loadbay.importing.registry import SyncRule
from loadbay.importing.shape import Shape
from loadbay.importing.tables import distinct_from, frame_of, literal, quoted, stage_name
from loadbay.importing.write import DEACTIVATED, REMOVED
from loadbay.kit.storage import ObjectStorage

MERGE = "merge"
SYNC = "sync"
MODES = (MERGE, SYNC)
# Canvas's default: a sync may take away at most a tenth of what the tenant has.
DEFAULT_THRESHOLD = 10.0
NOT_IN_FILE = "not in the file (mode=sync)"
_STAGE = "lb_sync_keys"


def sync_options(*, mode: str, change_threshold: str) -> dict[str, object]:
    """An upload's ``mode`` and ``changeThreshold`` as import options; ValueError says what is wrong."""
    mode = mode.lower() or MERGE
    if mode not in MODES:
        raise ValueError(f"mode must be 'merge' (the default) or 'sync', not '{mode[:32]}'.")
    if mode == MERGE:
        if change_threshold:
            raise ValueError("changeThreshold applies to mode=sync only; add mode=sync or leave it out.")
        return {}
    return {"mode": SYNC, "change_threshold": parse_threshold(change_threshold)}


def parse_threshold(change_threshold: str) -> float:
    """changeThreshold as a percentage (blank: the default); ValueError says what is wrong."""
    if not change_threshold:
        return DEFAULT_THRESHOLD
    try:
        threshold = float(change_threshold)
    except ValueError:
        threshold = -1.0
    if not 0 <= threshold <= 100:  # NaN fails both comparisons
        raise ValueError(
            f"changeThreshold must be a percentage from 0 to 100, not '{change_threshold[:32]}'."
        )
    return threshold


@dataclass(frozen=True)
class SyncPlan:
    rule: SyncRule
    # The rows that would go: the table's key columns.
    missing: pl.DataFrame
    # The tenant's rows a sync could touch (the active ones, when it deactivates).
    total: int

    @property
    def outcome(self) -> str:
        return DEACTIVATED if self.rule.deactivate else REMOVED

    def refusal(self, threshold: float, *, source: str = "mode=sync") -> FileRejected | None:
        """The file refused as a whole when the sync would take away too much; None when it may run.
        ``source``: what syncs, as the message names it (a bundle's "the bulk users.csv")."""
        share = 100.0 * self.missing.height / self.total if self.total else 0.0
        if share <= threshold:
            return None
        verb = "deactivate" if self.rule.deactivate else "remove"
        scope = "active " if self.rule.deactivate else ""
        return FileRejected(
            f"{source} would {verb} {self.missing.height} of the tenant's {self.total} {scope}"
            f"{self.rule.noun} ({share:.1f}%), more than changeThreshold={threshold:g}%, so nothing "
            "was written. Check that the file is complete, or upload it again with a higher "
            "changeThreshold.",
            line=None,
            code="sync_threshold",
        )


def file_keys(storage: ObjectStorage, *, key: str, shape: Shape, settings: Settings) -> pl.DataFrame:
    """Every key the stored file names, once, as the table's key columns."""
    import_type = shape.import_type
    assert import_type.sync is not None
    columns = import_type.sync.table.key
    parts: list[pl.DataFrame] = []
    with storage.open(key) as binary:
        for batch in open_stored(binary).batches(
            shape.header, batch_bytes=settings.batch_bytes, batch_rows=settings.slice_rows
        ):
            keys = batch.frame.select(
                pl.col(name).fill_null("").str.strip_chars().alias(column)
                for name, column in zip(import_type.key_columns, columns, strict=True)
            ).filter(pl.all_horizontal(pl.col(c) != "" for c in columns))
            parts.append(keys.unique())
    if not parts:
        return pl.DataFrame(schema=dict.fromkeys(columns, pl.Utf8))
    return pl.concat(parts).unique()


def _synced_rows(dialect: str, rule: SyncRule, *, tenant_id: int, import_id: str) -> str:
    """The condition on ``t`` (the rule's table) of the rows a sync may take away."""
    table = rule.table
    where = [f"t.{quoted(table.scope)} = {literal(tenant_id)}"]
    where.append(f"t.last_import_id {distinct_from(dialect)} {literal(import_id)}")
    if rule.deactivate:
        where.append("t.active")
    where += [f"t.{quoted(table.key[0])} <> {literal(kept)}" for kept in rule.keep]
    # A row without the key (a TAO user, keyed by username, when OneRoster's sourcedId keys the
    # sync) is not the file's to keep or take away: it is neither counted nor touched.
    where += [f"t.{quoted(c)} IS NOT NULL" for c in table.key]
    return " AND ".join(where)


def anything_to_sync(bulk: BulkSession, *, rule: SyncRule, tenant_id: int, import_id: str) -> bool:
    """Whether the tenant has a row a sync of ``rule`` could take away (written by another import):
    when it has none, a file's keys need not be read (a first load)."""
    where = _synced_rows(bulk.dialect, rule, tenant_id=tenant_id, import_id=import_id)
    sql = f"SELECT 1 AS found FROM {quoted(rule.table.name)} AS t WHERE {where} LIMIT 1"  # noqa: S608
    return frame_of(bulk.run([Query(sql)])[0]).height > 0


def plan_sync(
    bulk: BulkSession, *, rule: SyncRule, tenant_id: int, import_id: str, keys: pl.DataFrame
) -> SyncPlan:
    """The tenant's rows of ``rule``'s table that ``keys`` does not name.

    Rows this import wrote itself (an organization unit whose id it generated) are not missing.
    """
    table = rule.table
    where = _synced_rows(bulk.dialect, rule, tenant_id=tenant_id, import_id=import_id)
    projected = ", ".join(f"t.{quoted(c)} AS {quoted(c)}" for c in table.key)
    sql = f"SELECT {projected} FROM {quoted(table.name)} AS t WHERE {where}"  # noqa: S608
    stored = frame_of(bulk.run([Query(sql)])[0])
    if not stored.height:
        stored = pl.DataFrame(schema=dict.fromkeys(table.key, pl.Utf8))
    stored = stored.cast(dict.fromkeys(table.key, pl.Utf8))
    missing = stored.join(keys, on=list(table.key), how="anti")
    return SyncPlan(rule=rule, missing=missing.sort(list(table.key)), total=stored.height)


def sync_steps(
    dialect: str, plan: SyncPlan, *, tenant_id: int, import_id: str, now: datetime, planned_at: datetime
) -> list[Step]:
    """Deactivate or remove the missing rows; the last step returns the key of each row it changed.

    A row another import wrote since ``planned_at`` (two full lists at once) is left as it is.
    """
    table = plan.rule.table
    staged = stage_name(dialect, _STAGE)
    # Unqualified: SQLite's RETURNING names no table alias.
    keys = ", ".join(quoted(c) for c in table.key)
    columns = ", ".join(quoted(c) for c in table.key)
    row = (
        f"({', '.join(f't.{quoted(c)}' for c in table.key)})"
        if len(table.key) > 1
        else f"t.{quoted(table.key[0])}"
    )
    scope = f"t.{quoted(table.scope)} = {literal(tenant_id)} AND t.updated_at <= {literal(planned_at)}"
    # IN (SELECT …), not a correlated EXISTS: SQLite builds a temporary index of the staged keys
    # for it (the EXISTS scanned all of them for every stored row: 50,000 missing of 500,000
    # took 11 minutes), and PostgreSQL plans a hash semi-join either way.
    named = f"{row} IN (SELECT {columns} FROM {staged})"  # noqa: S608
    if plan.rule.deactivate:
        sql = (
            f"UPDATE {quoted(table.name)} AS t SET active = false, "  # noqa: S608
            f"updated_at = {literal(now)}, last_import_id = {literal(import_id)} "
            f"WHERE {scope} AND t.active AND {named} RETURNING {keys}"
        )
    else:
        sql = f"DELETE FROM {quoted(table.name)} AS t WHERE {scope} AND {named} RETURNING {keys}"  # noqa: S608
    return [Ingest(_STAGE, plan.missing.to_arrow()), Query(sql)]


def changed_keys(plan: SyncPlan, returned: Any) -> pl.DataFrame:
    """The rows a sync step changed, in key order, typed as the plan's."""
    columns = list(plan.missing.columns)
    frame = frame_of(returned) if returned is not None and returned.num_rows else plan.missing.clear()
    return frame.select(pl.col(c).cast(pl.Utf8) for c in columns).sort(columns)


def result_rows(plan: SyncPlan, changed: pl.DataFrame, shape: Shape) -> dict[str, Any]:
    """The result file's rows for the changed rows: no line (the file has none), the outcome, the
    key as the file spells it, and the key cells in their columns."""
    key_columns = shape.import_type.key_columns
    cells = changed.rename(dict(zip(changed.columns, key_columns, strict=True)))
    frame = pl.DataFrame(
        {name: pl.Series(name, [None] * changed.height, dtype=pl.Utf8) for name in shape.header}
    )
    frame = frame.with_columns(cells.select(c for c in key_columns if c in shape.header))
    return {
        "lines": pl.Series("line", [None] * changed.height, dtype=pl.Int64),
        "outcomes": pl.Series("outcome", [plan.outcome] * changed.height, dtype=pl.Utf8),
        "keys": changed.select(pl.concat_str(pl.all(), separator=" / ")).to_series(),
        "messages": pl.Series("messages", [NOT_IN_FILE] * changed.height, dtype=pl.Utf8),
        "frame": frame,
    }
