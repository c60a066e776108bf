import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from loadbay.app import create_app
from loadbay.config import Settings
from loadbay.jobs.worker import WorkerPool
from loadbay.migrate import upgrade
from loadbay.models import ImportJob, RosterUser
from loadbay.runtime import Runtime
from tests.conftest import ApiUser, run_jobs

CSV_ONE = "user_username,user_password,user_organizationId\nalice,Wonder#land1,root\n"


def test_in_process_workers_import_without_being_asked(settings: Settings) -> None:
    app = create_app(settings, workers=2)
    upgrade(app.state.runtime.engine)
    with TestClient(app) as http:
        user = ApiUser.create(http, app.state.runtime)
        reference_ids = [
            str(
                user.upload(f"user_username,user_password,user_organizationId\nu{i},Wonder#land1,root\n")[
                    "referenceId"
                ]
            )
            for i in range(4)
        ]
        deadline = time.monotonic() + 30
        statuses: list[str] = []
        while time.monotonic() < deadline:
            statuses = [str(user.status(ref)["status"]) for ref in reference_ids]
            if all(status == "processed" for status in statuses):
                break
            time.sleep(0.05)
        assert statuses == ["processed"] * 4


def _wait(predicate: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _job(runtime: Runtime, job_id: str) -> ImportJob:
    with runtime.sessions() as session:
        job = session.get(ImportJob, job_id)
        assert job is not None
        return job


def _plain_passwords(rows: int) -> str:
    lines = "".join(f"user{i:05d},Str0ng#Pass{i},root\n" for i in range(rows))
    return "user_username,user_password,user_organizationId\n" + lines


def test_stop_hands_back_an_import_that_outlives_the_grace_period(rostering: ApiUser) -> None:
    runtime = rostering.runtime
    runtime.settings.batch_rows = 100
    job_id = str(rostering.upload(_plain_passwords(6000))["referenceId"])
    pool = WorkerPool(runtime, size=1)
    pool.start()
    _wait(lambda: _job(runtime, job_id).file_line > 1)
    assert pool.stop(grace_seconds=0)
    job = _job(runtime, job_id)
    # Back in the queue at once, and the interrupted run does not count as a failed attempt.
    assert (job.status, job.lease_owner, job.lease_expires_at, job.attempts) == ("pending", None, None, 0)
    assert 1 < job.file_line < 6001
    run_jobs(runtime)
    final = rostering.status(job_id)
    assert final["status"] == "processed"
    assert final["counts"]["failed"] == 0  # type: ignore[index]
    assert sum(final["counts"].values()) == 6000  # type: ignore[attr-defined]
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(RosterUser)) == 6000


def test_stop_lets_a_running_import_finish_within_the_grace_period(rostering: ApiUser) -> None:
    runtime = rostering.runtime
    runtime.settings.batch_rows = 100
    job_id = str(rostering.upload(_plain_passwords(1000))["referenceId"])
    pool = WorkerPool(runtime, size=1)
    pool.start()
    _wait(lambda: _job(runtime, job_id).file_line > 1)
    assert pool.stop(grace_seconds=60)
    job = _job(runtime, job_id)
    assert (job.status, job.attempts, job.created_count) == ("processed", 1, 1000)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_workers_wake_on_notify_instead_of_waiting_for_the_poll(
    rostering: ApiUser, settings: Settings
) -> None:
    # The pool has its own runtime, as a separate worker process would: only NOTIFY can wake it.
    worker_runtime = Runtime.create(settings.model_copy(update={"poll_seconds": 60.0}))
    pool = WorkerPool(worker_runtime, size=1)
    pool.start()
    try:
        time.sleep(0.5)  # the worker has found nothing and sleeps for its 60 s poll
        job_id = str(rostering.upload(CSV_ONE)["referenceId"])
        _wait(lambda: _job(rostering.runtime, job_id).status == "processed", timeout=10)
    finally:
        pool.stop()
        worker_runtime.close()
