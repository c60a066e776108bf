"""POST /api/v1/imports/{ref}/cancel: a pending import never starts, a running one stops at a
batch boundary keeping what it committed, an ended one cannot be cancelled."""

from __future__ import annotations

from sqlalchemy import func, select

from loadbay.db import transaction
from loadbay.importing.run import run_import
from loadbay.importing.service import REFERENCE_NOT_FOUND
from loadbay.jobs.service import claim_next_job
from loadbay.models import RosterGroup
from tests.conftest import ApiUser, counts, expire_lease, run_cut_off, run_jobs

HEADER = "group_name,group_description,group_organizationId\n"


def _cancel(api: ApiUser, reference: str) -> tuple[int, dict[str, object]]:
    response = api.http.post(f"/api/v1/imports/{reference}/cancel", headers=api.headers)
    return response.status_code, response.json()


def test_a_pending_import_is_cancelled_and_never_starts(rostering: ApiUser) -> None:
    reference = str(rostering.upload(HEADER + "g1,G,root\n")["referenceId"])
    code, body = _cancel(rostering, reference)
    assert (code, body["status"]) == (200, "cancelled")
    assert run_jobs(rostering.runtime) == 0
    # Never read, never redacted: the upload is not kept.
    assert list((rostering.runtime.settings.data_dir / "objects").rglob("*.csv")) == []
    with rostering.runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(RosterGroup)) == 0
    detail = rostering.http.get(f"/api/v1/imports/{reference}", headers=rostering.headers).json()
    assert detail["status"] == "cancelled"
    assert detail["messagePage"]["items"][0]["code"] == "cancelled"
    # TAO's status endpoint knows no cancelled: failed, and the reason first.
    status = rostering.status(reference)
    assert (status["status"], status["messages"]) == ("failed", ["Import cancelled"])


def test_an_ended_import_cannot_be_cancelled(rostering: ApiUser) -> None:
    reference = str(rostering.import_file(HEADER + "g1,G,root\n")["referenceId"])
    code, body = _cancel(rostering, reference)
    assert code == 409
    assert body == {"message": "The import has ended (processed); only a pending import can be cancelled."}
    again = str(rostering.upload(HEADER + "g2,G,root\n")["referenceId"])
    assert _cancel(rostering, again)[0] == 200
    assert _cancel(rostering, again)[1] == {
        "message": "The import has ended (cancelled); only a pending import can be cancelled."
    }


def test_another_tenants_import_is_not_found(rostering: ApiUser) -> None:
    other = ApiUser.create(rostering.http, rostering.runtime, tenant="district-b")
    reference = str(other.upload(HEADER + "g1,G,root\n")["referenceId"])
    code, body = _cancel(rostering, reference)
    assert (code, body) == (404, {"message": REFERENCE_NOT_FOUND})
    assert other.status(reference)["status"] == "pending"


def _claimed_and_cut_off_after_one_batch(api: ApiUser) -> str:
    """An import of 12 rows in batches of 3 whose worker was cut off after batch 1 committed."""
    api.runtime.settings.batch_rows = 3
    content = HEADER + "".join(f"g{i},G {i},root\n" for i in range(12))
    reference = str(api.upload(content)["referenceId"])
    run_cut_off(api.runtime, reference, checks=1)
    return reference


class CancelledAfter:
    """A lease held by a worker whose import is cancelled by a client after ``batches`` checks."""

    def __init__(self, api: ApiUser, reference: str, batches: int) -> None:
        self.worker_id = "first"
        self.api = api
        self.reference = reference
        self.left = batches

    def ensure(self) -> None:
        if self.left == 0:
            code, _body = _cancel(self.api, self.reference)
            assert code == 202
        self.left -= 1


def test_a_running_import_stops_at_the_next_batch_and_keeps_what_it_committed(rostering: ApiUser) -> None:
    rostering.runtime.settings.batch_rows = 3
    content = HEADER + "".join(f"g{i},G {i},root\n" for i in range(12))
    reference = str(rostering.upload(content)["referenceId"])
    with transaction(rostering.runtime.write_sessions) as session:
        assert claim_next_job(session, worker_id="first", lease_seconds=30, max_attempts=3) == reference
    # The cancel arrives while batch 3 is being written: batches 1-3 commit, then the run stops.
    run_import(rostering.runtime, job_id=reference, lease=CancelledAfter(rostering, reference, 2))
    detail = rostering.http.get(f"/api/v1/imports/{reference}", headers=rostering.headers).json()
    assert detail["status"] == "cancelled"
    assert detail["counts"] == counts(created=9)
    assert detail["fileLine"] == 10
    assert detail["cancelRequestedAt"] is not None
    with rostering.runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(RosterGroup)) == 9
    result = rostering.result_csv(reference).splitlines()
    assert len(result) == 1 + 9
    assert run_jobs(rostering.runtime) == 0


def test_a_cancel_while_its_worker_is_gone_ends_it_when_the_next_worker_claims_it(rostering: ApiUser) -> None:
    reference = _claimed_and_cut_off_after_one_batch(rostering)
    assert _cancel(rostering, reference)[0] == 202
    expire_lease(rostering, reference)
    run_jobs(rostering.runtime)
    detail = rostering.http.get(f"/api/v1/imports/{reference}", headers=rostering.headers).json()
    assert (detail["status"], detail["counts"]["created"]) == ("cancelled", 3)


def test_a_cancel_after_its_worker_died_ends_it_at_once_with_what_it_committed(rostering: ApiUser) -> None:
    reference = _claimed_and_cut_off_after_one_batch(rostering)
    expire_lease(rostering, reference)
    code, body = _cancel(rostering, reference)
    assert (code, body["status"], body["counts"]["created"]) == (200, "cancelled", 3)
    assert run_jobs(rostering.runtime) == 0


def test_an_all_or_nothing_import_cancelled_while_checking_writes_and_counts_nothing(
    rostering: ApiUser,
) -> None:
    rostering.runtime.settings.batch_rows = 3
    content = HEADER + "".join(f"g{i},G {i},root\n" for i in range(12))
    reference = str(rostering.upload(content, onError="abort")["referenceId"])
    with transaction(rostering.runtime.write_sessions) as session:
        claim_next_job(session, worker_id="first", lease_seconds=30, max_attempts=3)
    run_import(rostering.runtime, job_id=reference, lease=CancelledAfter(rostering, reference, 1))
    detail = rostering.http.get(f"/api/v1/imports/{reference}", headers=rostering.headers).json()
    assert detail["status"] == "cancelled"
    assert detail["counts"] == counts()
    with rostering.runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(RosterGroup)) == 0
    assert rostering.result_csv(reference).splitlines()[1:] == []
