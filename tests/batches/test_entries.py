"""GetImportEntries while an import runs and once it is done; result download; retention."""

from contextlib import suppress
from datetime import timedelta

from sqlalchemy import select

from loadbay.db import transaction
from loadbay.importing.run import LeaseLost, run_import
from loadbay.jobs.service import claim_next_job
from loadbay.models import ImportBatch, ImportJob, utcnow
from loadbay.payments.companies import set_retention
from loadbay.payments.retention import sweep_retention
from tests.batches.conftest import Merchant, command
from tests.conftest import run_jobs
from tests.importing.test_pipeline import DiesAfter

HEADER = "TransactionId,AccountId,Type,Amount,Currency,Status,TransactionDate\n"


def _rows(count: int, *, bad_every: int = 0) -> str:
    return "".join(
        f"t{i},acc-1,{'Gift' if bad_every and i % bad_every == 0 else 'Sale'},1.00,USD,Completed,2026-11-24T10:00:00Z\n"
        for i in range(1, count + 1)
    )


def test_entries_are_paginated_in_file_order(merchant: Merchant) -> None:
    batch_id, _ = merchant.import_file("Transactions", HEADER + _rows(25, bad_every=10))
    first = merchant.entries(batch_id, pageSize=10)
    assert (first["totalEntries"], first["totalPages"], first["page"]) == (25, 3, 1)
    assert [e["line"] for e in first["entries"]] == list(range(2, 12))
    assert first["entries"][9] == {
        "line": 11,
        "status": "Failed",
        "key": "t10",
        "error": "Type: 'Gift' is not one of Sale, Refund, Authorization, Capture, Void, Chargeback",
    }
    last = merchant.entries(batch_id, PageNumber=3, PageSize=10)
    assert [e["key"] for e in last["entries"]] == [f"t{i}" for i in range(21, 26)]
    assert merchant.entries(batch_id, page=4, pageSize=10)["entries"] == []
    assert merchant.entries(batch_id)["pageSize"] == 100
    for params, fragment in (({"page": "0"}, "page must be"), ({"pageSize": "5000"}, "at most 1000")):
        response = merchant.http.get(
            "/api/adm/import/entries", headers=merchant.headers, params={"BatchId": batch_id, **params}
        )
        command(response, 400, 400, fragment)
    command(
        merchant.http.get("/api/adm/import/entries", headers=merchant.headers),
        400,
        400,
        "BatchId is required",
    )


def test_entries_of_a_running_import_come_from_its_committed_batches(merchant: Merchant) -> None:
    merchant.runtime.settings.batch_rows = 4
    batch_id = merchant.new_batch()
    assert merchant.upload(batch_id, HEADER + _rows(10, bad_every=3)).status_code == 200
    with transaction(merchant.runtime.write_sessions) as session:
        job_id = claim_next_job(session, worker_id="first", lease_seconds=30, max_attempts=3)
    assert job_id is not None
    # The worker is cut off after two batches of four rows.
    with suppress(LeaseLost):
        run_import(merchant.runtime, job_id=job_id, lease=DiesAfter("first", 2))
    running = merchant.entries(batch_id, pageSize=5)
    assert (running["state"], running["processingComplete"]) == ("Processing", False)
    assert running["totalEntries"] == 8
    assert running["counts"] == {"created": 6, "updated": 0, "unchanged": 0, "failed": 2}
    assert [e["key"] for e in running["entries"]] == ["t1", "t2", "t3", "t4", "t5"]
    assert running["entries"][2]["status"] == "Failed"
    second = merchant.entries(batch_id, page=2, pageSize=5)
    assert [e["key"] for e in second["entries"]] == ["t6", "t7", "t8"]
    command(
        merchant.http.get(f"/api/adm/import/batches/{batch_id}/result", headers=merchant.headers),
        409,
        400,
        "is still Processing",
    )
    with transaction(merchant.runtime.write_sessions) as session:
        job = session.get(ImportJob, job_id)
        assert job is not None
        job.lease_expires_at = 0
    run_jobs(merchant.runtime)
    done = merchant.entries(batch_id, page=2, pageSize=5)
    assert done["state"] == "Completed"
    assert [e["key"] for e in done["entries"]] == ["t6", "t7", "t8", "t9", "t10"]
    assert done["totalEntries"] == 10


def test_result_download(merchant: Merchant) -> None:
    batch_id = merchant.new_batch()
    command(
        merchant.http.get(f"/api/adm/import/batches/{batch_id}/result", headers=merchant.headers),
        409,
        400,
        "has no file yet",
    )
    assert merchant.upload(batch_id, HEADER + _rows(2)).status_code == 200
    command(
        merchant.http.get(f"/api/adm/import/result?batchId={batch_id}", headers=merchant.headers),
        409,
        400,
        "is still Queued",
    )
    run_jobs(merchant.runtime)
    response = merchant.http.get(f"/api/adm/import/result?BatchId={batch_id}", headers=merchant.headers)
    assert response.status_code == 200
    body = response.json()
    assert (body["success"], body["code"], body["errorMessage"]) == (True, 200, None)
    assert body["data"]["expiresIn"] == 900
    assert merchant.result_csv(batch_id).splitlines()[:2] == [
        "line,outcome,key,messages,TransactionId,AccountId,Type,Amount,Currency,Status,TransactionDate",
        "2,created,t1,,t1,acc-1,Sale,1.00,USD,Completed,2026-11-24T10:00:00Z",
    ]


def test_retention_deletes_files_past_the_companys_period(merchant: Merchant) -> None:
    runtime = merchant.runtime
    kept, expired = merchant.new_batch(), merchant.new_batch()
    assert merchant.upload(kept, HEADER + _rows(1)).status_code == 200
    assert merchant.upload(expired, HEADER + _rows(2)).status_code == 200
    run_jobs(runtime)
    with transaction(runtime.write_sessions) as session:
        # One import ended 31 days ago, the other just now; the company keeps files 30 days.
        batch = session.get(ImportBatch, expired)
        assert batch is not None
        job = session.get(ImportJob, batch.import_id)
        assert job is not None
        job.finished_at = utcnow() - timedelta(days=31)
        keys = [job.object_key, job.result_key]
    assert all(key and runtime.storage.exists(key) for key in keys)
    assert sweep_retention(runtime) == 1
    assert sweep_retention(runtime) == 0
    assert not any(runtime.storage.exists(str(key)) for key in keys)

    shown = merchant.batch(expired)
    assert shown["state"] == "Purged"
    assert shown["processingComplete"] is True
    assert shown["filesDeletedAt"] is not None
    assert sum(shown["counts"].values()) == 2  # the counts remain
    entries = merchant.entries(expired)
    assert (entries["state"], entries["entries"]) == ("Purged", [])
    command(
        merchant.http.get(f"/api/adm/import/batches/{expired}/result", headers=merchant.headers),
        410,
        404,
        "were deleted on",
    )
    # The same file again is still recognised, not imported again.
    assert merchant.upload(expired, HEADER + _rows(2)).headers["loadbay-upload"] == "duplicate"
    assert merchant.batch(kept)["state"] == "Completed"
    assert merchant.result_csv(kept)

    # A shorter period catches the other batch on the next sweep.
    with transaction(runtime.write_sessions) as session:
        set_retention(session, company_id=merchant.company_id, retention_days=0)
    assert sweep_retention(runtime) == 1
    with runtime.sessions() as session:
        purged = session.scalars(
            select(ImportBatch.id).where(ImportBatch.files_deleted_at.is_not(None))
        ).all()
    assert sorted(purged) == sorted([kept, expired])


def test_entries_while_the_sweep_is_deleting_files_are_empty_not_an_error(merchant: Merchant) -> None:
    batch_id = merchant.new_batch()
    assert merchant.upload(batch_id, HEADER + _rows(2)).status_code == 200
    run_jobs(merchant.runtime)
    with merchant.runtime.sessions() as session:
        batch = session.get(ImportBatch, batch_id)
        assert batch is not None
        job = session.get(ImportJob, batch.import_id)
        assert job is not None
        assert job.result_key is not None
        result_key = job.result_key
    # The sweep's first step: the files are gone, the batch is not yet marked purged.
    merchant.runtime.storage.delete(result_key)
    entries = merchant.entries(batch_id)
    assert (entries["state"], entries["entries"], entries["totalEntries"]) == ("Completed", [], 0)
