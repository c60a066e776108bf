"""The imports table as a queue, on both databases."""

import threading
import time

import pytest
from sqlalchemy import func, select, update

from loadbay.db import transaction
from loadbay.importing.run import LeaseLost, run_import
from loadbay.jobs.service import claim_next_job, fail_exhausted_jobs, release_job, renew_lease
from loadbay.jobs.worker import JobLease, Worker
from loadbay.models import ImportJob, RosterUser
from loadbay.runtime import Runtime
from tests.conftest import ApiUser

CSV = "user_username,user_password,user_organizationId\nalice,Wonder#land1,root\n"


def _claim(runtime: Runtime, worker_id: str) -> str | None:
    with transaction(runtime.write_sessions) as session:
        return claim_next_job(session, worker_id=worker_id, lease_seconds=30, max_attempts=3)


def _job(runtime: Runtime, job_id: str) -> ImportJob:
    with runtime.sessions() as session:
        job = session.get(ImportJob, job_id)
        assert job is not None
        return job


def _expire_lease(runtime: Runtime, job_id: str) -> None:
    # Stands in for the passing of time: the lease ran out because its worker died.
    with transaction(runtime.write_sessions) as session:
        session.execute(
            update(ImportJob).where(ImportJob.id == job_id).values(lease_expires_at=time.time() - 1)
        )


def test_two_workers_never_claim_the_same_job(rostering: ApiUser) -> None:
    first = str(rostering.upload(CSV)["referenceId"])
    second = str(rostering.upload(CSV.replace("alice", "bob"))["referenceId"])
    claims = [
        _claim(rostering.runtime, "w1"),
        _claim(rostering.runtime, "w2"),
        _claim(rostering.runtime, "w3"),
    ]
    assert sorted(c for c in claims if c) == sorted([first, second])
    assert claims[2] is None
    assert _job(rostering.runtime, first).lease_owner == "w1"
    assert _job(rostering.runtime, first).attempts == 1


def test_expired_lease_is_taken_over_and_the_old_owner_loses_it(rostering: ApiUser) -> None:
    job_id = str(rostering.upload(CSV)["referenceId"])
    assert _claim(rostering.runtime, "dead") == job_id
    assert _claim(rostering.runtime, "alive") is None
    _expire_lease(rostering.runtime, job_id)
    assert _claim(rostering.runtime, "alive") == job_id
    assert _job(rostering.runtime, job_id).attempts == 2
    with transaction(rostering.runtime.write_sessions) as session:
        assert not renew_lease(session, job_id=job_id, worker_id="dead", lease_seconds=30)
        assert renew_lease(session, job_id=job_id, worker_id="alive", lease_seconds=30)


def test_a_worker_that_lost_its_lease_writes_nothing(rostering: ApiUser) -> None:
    runtime = rostering.runtime
    job_id = str(rostering.upload(CSV)["referenceId"])
    assert _claim(runtime, "slow") == job_id
    _expire_lease(runtime, job_id)
    assert _claim(runtime, "fast") == job_id
    with JobLease(runtime, job_id=job_id, worker_id="slow") as lease, pytest.raises(LeaseLost):
        run_import(runtime, job_id=job_id, lease=lease)
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(RosterUser)) == 0
    assert _job(runtime, job_id).status == "pending"


def test_rerunning_a_half_done_import_converges(rostering: ApiUser) -> None:
    runtime = rostering.runtime
    runtime.settings.batch_rows = 2
    rows = "".join(f"u{i},Wonder#land1,root\n" for i in range(5))
    job_id = str(rostering.upload("user_username,user_password,user_organizationId\n" + rows)["referenceId"])
    assert _claim(runtime, "first") == job_id
    # The first worker wrote one batch and died; its lease runs out and another worker redoes the file.
    with transaction(runtime.write_sessions) as session:
        for i in range(2):
            session.add(RosterUser(tenant_id=1, username=f"u{i}", organization_id="root"))
    _expire_lease(runtime, job_id)
    Worker(runtime, name="second").run_once()
    job = _job(runtime, job_id)
    assert job.status == "processed"
    assert job.failed_count == 0
    assert job.created_count + job.updated_count == 5
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(RosterUser)) == 5


def test_an_upload_gone_from_storage_fails_at_once_in_the_clients_words(rostering: ApiUser) -> None:
    runtime = rostering.runtime
    job_id = str(rostering.upload(CSV)["referenceId"])
    # The stored object vanishes (deleted by hand, a lost bucket): no retry brings it back.
    runtime.storage.delete(f"import-csv/pending/{job_id}.csv")
    assert Worker(runtime).run_once()
    job = _job(runtime, job_id)
    assert (job.status, job.attempts) == ("failed", 1)
    message = rostering.status(job_id)["messages"][-1]
    assert message == (
        "The uploaded file is no longer in object storage, so it cannot be imported; upload it again."
    )
    # Neither the server's path nor an exception's name reaches the client.
    assert str(runtime.settings.data_dir) not in message
    assert "Error" not in message
    assert not Worker(runtime).run_once()
    # A failed import still has a result file to download, holding the reason.
    assert "no longer in object storage" in rostering.result_csv(job_id)


def test_an_import_that_keeps_failing_is_given_up_without_the_servers_words(rostering: ApiUser) -> None:
    runtime = rostering.runtime
    job_id = str(rostering.upload(CSV)["referenceId"])
    internal = "OSError: [Errno 5] Input/output error: '/srv/loadbay/objects/import-csv/pending/x.csv'"
    for attempt in range(1, 4):
        assert _claim(runtime, f"w{attempt}") == job_id
        with transaction(runtime.write_sessions) as session:
            release_job(
                session,
                job_id=job_id,
                worker_id=f"w{attempt}",
                error=internal,
                max_attempts=3,
                reason="an object storage error",
            )
        _expire_lease(runtime, job_id)
    job = _job(runtime, job_id)
    assert (job.status, job.last_error) == ("failed", internal)
    message = rostering.status(job_id)["messages"][-1]
    assert message == (
        "The import stopped with an object storage error 3 times and was given up; the server's "
        f"log has the details (import {job_id})."
    )


def test_jobs_whose_workers_all_died_are_failed(rostering: ApiUser) -> None:
    runtime = rostering.runtime
    job_id = str(rostering.upload(CSV)["referenceId"])
    for worker in ("a", "b", "c"):
        assert _claim(runtime, worker) == job_id
        _expire_lease(runtime, job_id)
    assert _claim(runtime, "d") is None
    with transaction(runtime.write_sessions) as session:
        assert fail_exhausted_jobs(session, max_attempts=3) == 1
    job = _job(runtime, job_id)
    assert job.status == "failed"
    assert "attempted 3 times" in rostering.status(job_id)["messages"][-1]


def test_release_gives_the_job_back_for_a_retry(rostering: ApiUser) -> None:
    runtime = rostering.runtime
    job_id = str(rostering.upload(CSV)["referenceId"])
    assert _claim(runtime, "w") == job_id
    with transaction(runtime.write_sessions) as session:
        release_job(session, job_id=job_id, worker_id="w", error="boom", max_attempts=3)
    job = _job(runtime, job_id)
    assert job.lease_owner is None
    assert job.status == "pending"
    assert job.last_error == "boom"
    _expire_lease(runtime, job_id)
    Worker(runtime).run_once()
    assert _job(runtime, job_id).status == "processed"


def _claim_capped(runtime: Runtime, worker_id: str, cap: int) -> str | None:
    with transaction(runtime.write_sessions) as session:
        return claim_next_job(
            session, worker_id=worker_id, lease_seconds=30, max_attempts=3, tenant_max_running=cap
        )


def _uploads(user: ApiUser, count: int, prefix: str) -> list[str]:
    return [str(user.upload(CSV.replace("alice", f"{prefix}{i}"))["referenceId"]) for i in range(count)]


def test_a_tenant_at_its_cap_is_passed_over_for_the_next_tenant(rostering: ApiUser) -> None:
    runtime = rostering.runtime
    busy = _uploads(rostering, 5, "busy")
    quiet_user = ApiUser.create(rostering.http, runtime, tenant="district-b")
    quiet = _uploads(quiet_user, 1, "quiet")
    claims = [_claim_capped(runtime, f"w{i}", cap=2) for i in range(4)]
    # The busy tenant's backlog is older, yet the quiet tenant's import runs third, not seventh.
    assert claims == [busy[0], busy[1], quiet[0], None]

    # A slot frees up when one of the busy tenant's imports finishes...
    with transaction(runtime.write_sessions) as session:
        session.execute(update(ImportJob).where(ImportJob.id == busy[0]).values(status="processed"))
    assert _claim_capped(runtime, "w5", cap=2) == busy[2]
    # ...or when its worker dies: an expired lease does not count as running, and is taken over.
    _expire_lease(runtime, busy[1])
    assert _claim_capped(runtime, "w6", cap=2) == busy[1]
    assert _claim_capped(runtime, "w7", cap=2) is None


def test_no_cap_claims_oldest_first(rostering: ApiUser) -> None:
    busy = _uploads(rostering, 3, "busy")
    assert [_claim_capped(rostering.runtime, f"w{i}", cap=0) for i in range(3)] == busy


def test_concurrent_claims_never_exceed_the_cap(rostering: ApiUser) -> None:
    runtime = rostering.runtime
    _uploads(rostering, 6, "busy")
    start = threading.Barrier(6)
    claims: list[str | None] = []

    def claim(index: int) -> None:
        start.wait()
        claims.append(_claim_capped(runtime, f"w{index}", cap=2))

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(claims) == 6
    assert len([c for c in claims if c is not None]) == 2
    with runtime.sessions() as session:
        leased = session.scalar(select(func.count()).where(ImportJob.lease_owner.is_not(None)))
    assert leased == 2
