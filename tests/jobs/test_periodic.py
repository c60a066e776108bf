from collections.abc import Iterator

import pytest

from loadbay.catalog import load_import_types
from loadbay.jobs import periodic
from loadbay.jobs.periodic import PeriodicTask, periodic_tasks, register_periodic
from loadbay.jobs.worker import Worker, WorkerPool
from loadbay.runtime import Runtime


@pytest.fixture
def calls() -> Iterator[list[str]]:
    seen: list[str] = []

    def boom(_runtime: Runtime) -> None:
        seen.append("boom")
        raise RuntimeError("the store blinked")

    register_periodic(PeriodicTask("count", lambda _settings: 3600, lambda _runtime: seen.append("count")))
    register_periodic(PeriodicTask("boom", lambda _settings: 0, boom))
    yield seen
    periodic._TASKS.pop("count")
    periodic._TASKS.pop("boom")


def test_shipped_features_register_their_housekeeping() -> None:
    load_import_types()
    names = [task.name for task in periodic_tasks()]
    assert "retention sweep" in names
    assert "orphan sweep" in names


def test_a_worker_runs_each_task_once_per_interval_and_survives_failures(
    runtime: Runtime, calls: list[str]
) -> None:
    worker = Worker(runtime, name="w")
    worker._run_periodic()
    worker._run_periodic()
    # "count" waits an hour between runs; "boom" runs every turn and its failure stops nothing.
    assert calls.count("count") == 1
    assert calls.count("boom") == 2


def test_a_pool_has_one_housekeeper(runtime: Runtime) -> None:
    pool = WorkerPool(runtime, size=3)
    assert [worker.housekeeping for worker in pool.workers] == [True, False, False]
