"""Stage 3, write: a batch's rows merged set-based, each row's outcome read back, on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest
from sqlalchemy import select

from loadbay.auth.service import get_or_create_tenant
from loadbay.db import transaction
from loadbay.importing.bulk import Execute, Refused, bulk_session
from loadbay.importing.tables import ROW
from loadbay.importing.write import TableWrite, written
from loadbay.models import RosterGroup
from loadbay.runtime import Runtime

START = datetime(2026, 12, 1, 9, 0, 0)


@pytest.fixture
def tenant_id(runtime: Runtime) -> int:
    with transaction(runtime.write_sessions) as session:
        tenant = get_or_create_tenant(session, name="district-a")
        session.flush()
        return tenant.id


def _groups(tenant_id: int, rows: dict[str, str], *, import_id: str, now: datetime) -> TableWrite:
    frame = pl.DataFrame(
        {
            ROW: list(range(len(rows))),
            "name": list(rows),
            "description": list(rows.values()),
            "organization_id": ["root"] * len(rows),
            "active": [True] * len(rows),
        },
        schema={
            ROW: pl.Int64,
            "name": pl.Utf8,
            "description": pl.Utf8,
            "organization_id": pl.Utf8,
            "active": pl.Boolean,
        },
    )
    constants = {"tenant_id": tenant_id, "last_import_id": import_id, "created_at": now, "updated_at": now}
    # As a groups file without group_active: a new group is active, a stored one keeps its flag.
    return TableWrite(RosterGroup, frame, constants, insert_only=("active",))


def _merge(runtime: Runtime, write: TableWrite, *, dry_run: bool = False) -> list[str]:
    # A new import each time: it has met no stored row yet, so PostgreSQL tries a plain insert
    # first, and a batch with stored rows falls back to the upsert.
    with bulk_session(runtime) as bulk:
        (outcomes,) = written(bulk, [write], write=not dry_run, stored=set())
        if not dry_run:
            bulk.run([], commit=True)
    return outcomes.sort(ROW)["outcome"].to_list()


def _stored(runtime: Runtime) -> dict[str, tuple[str | None, str | None]]:
    with runtime.sessions() as session:
        rows = session.execute(select(RosterGroup.name, RosterGroup.description, RosterGroup.last_import_id))
        return {name: (description, last) for name, description, last in rows}


def test_rows_are_created_then_only_the_changed_ones_rewritten(runtime: Runtime, tenant_id: int) -> None:
    first = _groups(tenant_id, {"g1": "One", "g2": "Two", "g3": "Three"}, import_id="i1", now=START)
    assert _merge(runtime, first) == ["created"] * 3
    later = START + timedelta(hours=1)
    second = _groups(tenant_id, {"g1": "One", "g2": "Deux", "g3": "Three"}, import_id="i2", now=later)
    assert _merge(runtime, second) == ["unchanged", "updated", "unchanged"]
    # An unchanged row is not touched: it still names the import that wrote it.
    assert _stored(runtime) == {"g1": ("One", "i1"), "g2": ("Deux", "i2"), "g3": ("Three", "i1")}


def test_a_batch_of_new_and_stored_rows_gets_each_its_outcome(runtime: Runtime, tenant_id: int) -> None:
    _merge(runtime, _groups(tenant_id, {"g1": "One", "g2": "Two"}, import_id="i1", now=START))
    mixed = _groups(tenant_id, {"g0": "Zero", "g1": "Uno", "g2": "Two"}, import_id="i2", now=START)
    assert _merge(runtime, mixed) == ["created", "updated", "unchanged"]
    assert _stored(runtime) == {"g0": ("Zero", "i2"), "g1": ("Uno", "i2"), "g2": ("Two", "i1")}


def test_a_dry_run_classifies_without_writing(runtime: Runtime, tenant_id: int) -> None:
    _merge(runtime, _groups(tenant_id, {"g1": "One"}, import_id="i1", now=START))
    planned = _groups(tenant_id, {"g1": "Uno", "g2": "Two"}, import_id="i2", now=START)
    assert _merge(runtime, planned, dry_run=True) == ["updated", "created"]
    assert _stored(runtime) == {"g1": ("One", "i1")}


def test_a_statement_that_changes_other_than_the_counted_rows_undoes_the_transaction(
    runtime: Runtime, tenant_id: int
) -> None:
    # What the merge relies on when another import wrote the same keys in between.
    insert = (
        "INSERT INTO roster_groups (tenant_id, name, active, organization_id, created_at, updated_at) "  # noqa: S608
        f"VALUES ({tenant_id}, 'g1', true, 'root', '2026-12-01 09:00:00', '2026-12-01 09:00:00')"
    )
    with bulk_session(runtime) as bulk:
        with pytest.raises(Refused, match="expected 2 row"):
            bulk.run([Execute(insert, expect=2)], begin=True)
        bulk.run([Execute(insert.replace("'g1'", "'g2'"), expect=1)], begin=True, commit=True)
    assert set(_stored(runtime)) == {"g2"}


def test_a_delete_write_removes_the_stored_rows_of_its_keys(runtime: Runtime, tenant_id: int) -> None:
    _merge(runtime, _groups(tenant_id, {"g1": "One", "g2": "Two"}, import_id="i1", now=START))
    constants = {"tenant_id": tenant_id}
    keys = pl.DataFrame({ROW: [0, 1], "name": ["g2", "nowhere"]}, schema={ROW: pl.Int64, "name": pl.Utf8})
    gone = TableWrite(RosterGroup, keys, constants, delete=True)
    assert _merge(runtime, gone, dry_run=True) == ["removed", "unchanged"]
    assert set(_stored(runtime)) == {"g1", "g2"}
    assert _merge(runtime, gone) == ["removed", "unchanged"]
    assert set(_stored(runtime)) == {"g1"}


def test_a_write_keyed_by_another_unique_key_must_name_one() -> None:
    frame = pl.DataFrame({ROW: [0], "description": ["x"]})
    with pytest.raises(ValueError, match="no unique key"):
        TableWrite(RosterGroup, frame, {"tenant_id": 1}, key=("description",))
