from loadbay.jobs.periodic import PeriodicTask, periodic_tasks
from loadbay.jobs.worker import Worker, WorkerPool
from loadbay.runtime import Runtime


def test_the_schedule_has_the_features_housekeeping() -> None:
    names = [task.name for task in periodic_tasks()]
    assert "retention sweep" in names
    assert "orphan sweep" in names


def test_a_worker_runs_each_task_once_per_interval_and_survives_failures(runtime: Runtime) -> None:
    calls: list[str] = []

    def boom(_runtime: Runtime) -> None:
        calls.append("boom")
        raise RuntimeError("the store blinked")

    tasks = [
        PeriodicTask("count", lambda _settings: 3600, lambda _runtime: calls.append("count")),
        PeriodicTask("boom", lambda _settings: 0, boom),
    ]
    worker = Worker(runtime, name="w", tasks=tasks)
    worker._run_periodic()
    worker._run_periodic()
    # "count" waits an hour between runs; "boom" runs every turn and its failure stops nothing.
    assert calls.count("count") == 1
    assert calls.count("boom") == 2


def test_a_pool_has_one_housekeeper(runtime: Runtime) -> None:
    pool = WorkerPool(runtime, size=3)
    assert [worker.housekeeping for worker in pool.workers] == [True, False, False]
