"""Checkpoint and resume: a job taken over after a crash converges to the same rows, counts and result."""

import time
from contextlib import suppress

from sqlalchemy import func, select, update

from loadbay.db import transaction
from loadbay.importing.run import LeaseLost, run_import
from loadbay.jobs.service import claim_next_job
from loadbay.jobs.worker import Worker
from loadbay.models import ImportJob, ImportMessage, RosterGroup
from loadbay.runtime import Runtime
from tests.conftest import ApiUser, counts

HEADER = "group_name,group_description,group_organizationId\n"


class DiesAfter:
    """A lease that is lost after ``batches`` checks: the worker is cut off mid-import."""

    def __init__(self, worker_id: str, batches: int) -> None:
        self.worker_id = worker_id
        self.left = batches

    def ensure(self) -> None:
        if self.left == 0:
            raise LeaseLost("cut off")
        self.left -= 1


def _claim(runtime: Runtime, worker_id: str) -> str | None:
    with transaction(runtime.write_sessions) as session:
        return claim_next_job(session, worker_id=worker_id, lease_seconds=30, max_attempts=3)


def _take_over(runtime: Runtime, job_id: str) -> None:
    with transaction(runtime.write_sessions) as session:
        session.execute(
            update(ImportJob).where(ImportJob.id == job_id).values(lease_expires_at=time.time() - 1)
        )
    Worker(runtime, name="second").run_once()


def _upload_and_crash(api: ApiUser, content: str, *, batches: int, **data: str) -> str:
    api.runtime.settings.batch_rows = 3
    job_id = str(api.upload(content, **data)["referenceId"])
    assert _claim(api.runtime, "first") == job_id
    with suppress(LeaseLost):
        run_import(api.runtime, job_id=job_id, lease=DiesAfter("first", batches))
    return job_id


def test_resume_continues_after_the_last_committed_batch(rostering: ApiUser) -> None:
    content = HEADER + "".join(f"g{i},G {i},root\n" for i in range(10)) + "g3,again,root\n"
    reference = rostering.import_file(content)
    expected_result = rostering.result_csv(str(reference["referenceId"]))
    with transaction(rostering.runtime.write_sessions) as session:
        session.execute(RosterGroup.__table__.delete())

    job_id = _upload_and_crash(rostering, content, batches=2)
    with rostering.runtime.sessions() as session:
        job = session.get(ImportJob, job_id)
        assert job is not None
        assert (job.checkpoint_batches, job.file_line, job.created_count) == (2, 7, 6)
    _take_over(rostering.runtime, job_id)

    final = rostering.status(job_id)
    assert final["status"] == "processed"
    assert final["counts"] == reference["counts"] == counts(created=10, failed=1)
    assert (
        final["messages"] == reference["messages"] == ["Line 12: group_name: 'g3' already appears on line 5"]
    )
    assert rostering.result_csv(job_id) == expected_result
    with rostering.runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(RosterGroup)) == 10
    leftovers = list((rostering.runtime.settings.data_dir / "objects" / "import-csv" / "work").rglob("*.csv"))
    assert leftovers == []


def test_password_file_resumed_keeps_no_clear_password(rostering: ApiUser) -> None:
    content = "user_username,user_password,user_organizationId\n" + "".join(
        f"u{i},Secret#{i:04d}x,root\n" for i in range(7)
    )
    job_id = _upload_and_crash(rostering, content, batches=1)
    _take_over(rostering.runtime, job_id)
    assert rostering.status(job_id)["counts"]["created"] == 7
    objects = rostering.runtime.settings.data_dir / "objects"
    for path in objects.rglob("*"):
        if path.is_file():
            assert "Secret#" not in path.read_text(), path
    processed = (objects / f"import-csv/processed/{job_id}.csv").read_text().splitlines()
    assert processed[0] == "user_username,user_password,user_organizationId"
    assert processed[1:] == [f"u{i},,root" for i in range(7)]


def test_abort_mode_crash_after_validation_resumes_writing(rostering: ApiUser) -> None:
    content = HEADER + "".join(f"g{i},G,root\n" for i in range(7))
    # Three batches validated (checks 1-3), then one written (check 4) before the crash.
    job_id = _upload_and_crash(rostering, content, batches=4, onError="abort")
    _take_over(rostering.runtime, job_id)
    final = rostering.status(job_id)
    assert final["status"] == "processed"
    assert final["counts"] == counts(created=7)


def _stored_messages(runtime: Runtime, job_id: str) -> list[tuple[int, int | None, str | None]]:
    with runtime.sessions() as session:
        rows = session.scalars(
            select(ImportMessage).where(ImportMessage.import_id == job_id).order_by(ImportMessage.seq)
        )
        return [(m.seq, m.line, m.column) for m in rows]


def test_messages_of_a_resumed_import_are_neither_lost_nor_repeated(rostering: ApiUser) -> None:
    # A bad row in the committed batches and one after the crash.
    rows = [f"g{i},G,root\n" for i in range(9)]
    rows[1] = "g1,G,\n"
    rows[7] = ",G,root\n"
    job_id = _upload_and_crash(rostering, HEADER + "".join(rows), batches=2)
    assert _stored_messages(rostering.runtime, job_id) == [(1, 3, "group_organizationId")]
    _take_over(rostering.runtime, job_id)
    assert _stored_messages(rostering.runtime, job_id) == [
        (1, 3, "group_organizationId"),
        (2, 9, "group_name"),
    ]


def test_an_attempt_that_starts_over_forgets_the_messages_of_the_last(rostering: ApiUser) -> None:
    # onError=abort validates first without checkpoints: a crash there restarts from line 1.
    content = HEADER + ",G,root\n" + "".join(f"g{i},G,root\n" for i in range(6))
    job_id = _upload_and_crash(rostering, content, batches=2, onError="abort")
    assert _stored_messages(rostering.runtime, job_id) == [(1, 2, "group_name")]
    _take_over(rostering.runtime, job_id)
    assert rostering.status(job_id)["status"] == "failed"
    assert _stored_messages(rostering.runtime, job_id) == [(0, None, None), (1, 2, "group_name")]


class StolenAtTheEnd(DiesAfter):
    """A lease that passes every check but is taken by another worker just before the final commit."""

    def __init__(self, runtime: Runtime, worker_id: str, checks: int) -> None:
        super().__init__(worker_id, checks)
        self.runtime = runtime

    def ensure(self) -> None:
        super().ensure()
        if self.left == 0:
            with transaction(self.runtime.write_sessions) as session:
                session.execute(update(ImportJob).values(lease_owner="another"))


def _work_files(runtime: Runtime, job_id: str) -> list[str]:
    folder = runtime.settings.data_dir / "objects" / "import-csv" / "work" / job_id
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.csv"))


def test_a_worker_cut_off_after_assembling_the_result_is_taken_over(rostering: ApiUser) -> None:
    # Three batches (checks 1-3), then the ending (check 4) assembles the result and loses the
    # lease at its commit: the import is still pending, and readers still follow it by its parts.
    rostering.runtime.settings.batch_rows = 3
    content = HEADER + "".join(f"g{i},G,root\n" for i in range(7)) + ",G,root\n"
    job_id = str(rostering.upload(content)["referenceId"])
    assert _claim(rostering.runtime, "first") == job_id
    with suppress(LeaseLost):
        run_import(rostering.runtime, job_id=job_id, lease=StolenAtTheEnd(rostering.runtime, "first", 4))
    assert rostering.status(job_id)["status"] == "pending"
    assert _work_files(rostering.runtime, job_id) == [f"result/part-{n:06d}.csv" for n in (1, 2, 3)]

    _take_over(rostering.runtime, job_id)
    final = rostering.status(job_id)
    assert final["status"] == "processed"
    assert final["counts"] == counts(created=7, failed=1)
    assert rostering.result_csv(job_id).count("\n") == 9
    assert _work_files(rostering.runtime, job_id) == []


def test_a_partial_update_resumed_after_a_crash_ends_as_an_uninterrupted_one(rostering: ApiUser) -> None:
    full = HEADER + "".join(f"g{i},G {i},root\n" for i in range(8))
    # Descriptions only: the stored organizations stay, and new groups cannot be created.
    partial = "group_name,group_description\n" + "".join(f"g{i},Changed {i}\n" for i in range(10))
    rostering.import_file(full)
    reference = rostering.import_file(partial)
    expected_result = rostering.result_csv(str(reference["referenceId"]))
    assert reference["counts"] == counts(updated=8, failed=2)
    rostering.import_file(full)

    job_id = _upload_and_crash(rostering, partial, batches=2)
    _take_over(rostering.runtime, job_id)
    final = rostering.status(job_id)
    assert (final["status"], final["counts"], final["messages"]) == (
        "processed",
        reference["counts"],
        reference["messages"],
    )
    assert rostering.result_csv(job_id) == expected_result
    with rostering.runtime.sessions() as session:
        stored = session.execute(select(RosterGroup.description, RosterGroup.organization_id)).all()
    assert sorted(stored) == sorted((f"Changed {i}", "root") for i in range(8))


def test_a_users_file_with_warnings_ragged_rows_and_a_create_failure_resumes_as_it_runs(
    rostering: ApiUser,
) -> None:
    full = "user_username,user_name,user_password,user_active,user_organizationId\n" + "".join(
        f"u{i},User {i},Wonder#land{i},TRUE,root\n" for i in range(5)
    )
    partial = (
        "user_username,user_name,user_active\n"
        "u0,Zero,0\n"  # a warning
        "u0,Again\n"  # ragged, and u0 again: one message
        "u2\n"  # ragged: its key is not remembered, before the crash or after it
        "u2,Two,1\n"  # (the crash comes here) no repeat; a warning
        "newbie,New,TRUE\n"  # cannot be created without a password and an organization
        "u3,Three,FALSE\n"
        "u4,Four,TRUE\n"
    )
    rostering.import_file(full)
    reference = rostering.import_file(partial)
    expected_result = rostering.result_csv(str(reference["referenceId"]))
    assert reference["counts"] == counts(updated=4, failed=3)
    assert len(reference["messages"]) == 6
    rostering.import_file(full)

    job_id = _upload_and_crash(rostering, partial, batches=1)
    with rostering.runtime.sessions() as session:
        job = session.get(ImportJob, job_id)
        assert job is not None
        assert (job.checkpoint_batches, job.file_line) == (1, 4)
    _take_over(rostering.runtime, job_id)
    final = rostering.status(job_id)
    assert (final["status"], final["counts"], final["messages"]) == (
        "processed",
        reference["counts"],
        reference["messages"],
    )
    assert rostering.result_csv(job_id) == expected_result
