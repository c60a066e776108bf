"""Bulk sessions on PostgreSQL: one import's connection is the next one's, clean, and a
connection the database cut is replaced, not handed to an import."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import text

from loadbay.importing.bulk import BulkSession, Ingest, Query, bulk_session
from loadbay.runtime import Runtime
from tests.conftest import make_settings


@pytest.fixture
def runtime(tmp_path: Path, postgres_url: str) -> Iterator[Runtime]:
    runtime = Runtime.create(make_settings(tmp_path / "data", postgres_url))
    yield runtime
    runtime.close()


def _backend(runtime: Runtime) -> int:
    with bulk_session(runtime) as bulk:
        return _pid(bulk)


def _connected(runtime: Runtime, pid: int) -> bool:
    with runtime.engine.connect() as connection:
        found = connection.execute(text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid})
        return found.first() is not None


def _gone(runtime: Runtime, pid: int) -> bool:
    """Whether backend ``pid`` has ended: it does a moment after its client hangs up."""
    deadline = time.monotonic() + 10
    while _connected(runtime, pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _pid(bulk: BulkSession) -> int:
    (table,) = bulk.run([Query("SELECT pg_backend_pid() AS pid")])
    assert table is not None
    return int(table["pid"][0].as_py())


def test_the_next_import_reuses_the_connection_without_the_last_ones_staged_rows(runtime: Runtime) -> None:
    with bulk_session(runtime) as bulk:
        bulk.run([Ingest("lb_stage_0", pa.table({"name": ["a", "b"]}))])
        first = _pid(bulk)
    with bulk_session(runtime) as bulk:
        second = _pid(bulk)
        (staged,) = bulk.run([Query("SELECT to_regclass('pg_temp.lb_stage_0') IS NULL AS gone")])
    assert second == first
    assert staged is not None
    assert staged["gone"].to_pylist() == [True]


def test_a_connection_the_database_cut_is_replaced_before_an_import_gets_it(runtime: Runtime) -> None:
    pid = _backend(runtime)
    with runtime.engine.connect() as connection:
        # Waits (up to 10 s) until the backend has ended.
        assert connection.execute(text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": pid}).scalar()
    assert _backend(runtime) != pid


def test_a_connection_whose_import_raised_is_closed_not_reused(runtime: Runtime) -> None:
    pids: list[int] = []

    def stopped_half_way() -> None:
        with bulk_session(runtime) as bulk:
            pids.append(_pid(bulk))
            raise RuntimeError("the run stopped half-way")

    with pytest.raises(RuntimeError):
        stopped_half_way()
    (pid,) = pids
    assert _gone(runtime, pid)
    assert _backend(runtime) != pid


def test_closing_the_runtime_closes_its_idle_connections(tmp_path: Path, postgres_url: str) -> None:
    runtime = Runtime.create(make_settings(tmp_path / "data", postgres_url))
    pid = _backend(runtime)
    assert _connected(runtime, pid)
    runtime.close()
    probe = Runtime.create(make_settings(tmp_path / "probe", postgres_url))
    try:
        assert _gone(probe, pid)
    finally:
        probe.close()
