"""Crash safety of a scaled-out deployment: ``loadbay api`` and ``loadbay worker`` processes on
PostgreSQL and an S3 server, with processes killed and servers taken away mid-work."""

from __future__ import annotations

import csv
import io
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import counts
from tests.scaleout.conftest import FleetFactory
from tests.scaleout.fleet import through, users_file
from tests.scaleout.proxy import TcpProxy
from tests.scaleout.s3server import S3Server

pytestmark = [
    pytest.mark.e2e,
    # PostgreSQL only: SQLite is the one-machine embedded mode, not something to scale out.
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]


def test_a_worker_killed_mid_import_is_finished_by_the_other(
    fleet_factory: FleetFactory, s3_server: S3Server, bucket: str, tmp_path: Path
) -> None:
    fleet = fleet_factory().start(workers=2)
    client = fleet.client()
    # Nine checkpoints of 1,000 rows (FLEET_ENV): killed after the third, six to go.
    rows = 9_000
    reference_id = client.upload(users_file(tmp_path / "users.csv", rows))

    # Halfway: some batches committed, the rest still to do.
    job = fleet.wait_for(reference_id, lambda job: job.file_line > rows // 3)
    assert job.status == "pending", "the import finished before it could be killed"
    owner_pid = int(str(job.lease_owner).split(":")[1])
    victim = fleet.worker_with_pid(owner_pid)
    survivor = next(worker for worker in fleet.workers if worker is not victim)
    assert victim.signal(signal.SIGKILL) == -signal.SIGKILL

    final = client.wait_finished(reference_id, timeout=120)
    assert final["status"] == "processed", final
    assert final["fileLine"] == rows + 1
    # The survivor resumed after the last committed batch: the counts are those of one clean run.
    assert final["counts"] == counts(created=rows)
    assert final["attempts"] >= 2  # taken over (2, unless a heartbeat also came too late)
    assert f"claimed import {reference_id}" in survivor.log()
    assert fleet.users("district-a") == (rows, rows)

    # The result file: one line per data row, served by the S3 server through a presigned URL.
    signed_url, content = client.result_csv(reference_id)
    assert signed_url.startswith(f"{s3_server.endpoint}/{bucket}/loadbay/import-csv/results/")
    result_rows = list(csv.DictReader(io.StringIO(content)))
    assert len(result_rows) == rows
    assert len({row["key"] for row in result_rows}) == rows
    assert {row["outcome"] for row in result_rows} == {"created"}
    assert s3_server.keys(bucket, "loadbay/import-csv/pending/") == []


def test_the_api_killed_mid_upload_leaves_no_row_and_no_object(
    fleet_factory: FleetFactory, s3_server: S3Server, bucket: str
) -> None:
    fleet = fleet_factory().start(workers=1)
    client = fleet.client()
    boundary = "loadbay-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="users.csv"\r\n'
        "Content-Type: text/csv\r\n\r\nuser_username,user_password,user_organizationId\r\n"
    ).encode()
    chunk = b"".join(b"someone%06d,Str0ng#Pass,root\r\n" % i for i in range(2000))

    def slow_body() -> Iterator[bytes]:
        yield head
        for sent in range(1, 200):
            yield chunk
            time.sleep(0.005)
            if sent == 100:  # ~6 MB in: past the first part of a multipart upload to S3
                fleet.api.stop(signal.SIGKILL)

    with pytest.raises(httpx.TransportError):
        httpx.post(
            f"{fleet.api.url}/api/v1/upload",
            headers={**client.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
            content=slow_body(),
            timeout=30,
        )
    assert fleet.import_count() == 0
    assert s3_server.keys(bucket, "loadbay/import-csv/") == []
    # A new API process serves the same client at once.
    fleet.api.start()
    assert client.get("/readyz").status_code == 200


def test_the_database_going_away_answers_503_and_workers_recover(
    fleet_factory: FleetFactory, database_url: str, tmp_path: Path
) -> None:
    proxy = TcpProxy(make_url(database_url).port or 5432)
    try:
        fleet = fleet_factory(processes_database_url=through(database_url, proxy.port)).start(workers=1)
        client = fleet.client()
        rows = 8000
        reference_id = client.upload(users_file(tmp_path / "users.csv", rows))
        fleet.wait_for(reference_id, lambda job: job.file_line > 1000)

        proxy.cut()
        response = client.get(f"/api/v1/status/{reference_id}")
        assert response.status_code == 503
        assert response.json() == {"message": "The database is unavailable; try again shortly."}
        assert response.headers["retry-after"] == "5"
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "database" in ready.json()
        # Longer than a lease: the worker's heartbeats and writes fail all along, and it stays up.
        time.sleep(4)
        assert fleet.workers[0].alive()

        proxy.restore()
        final = client.wait_finished(reference_id, timeout=120)
        assert final["status"] == "processed", final
        assert final["fileLine"] == rows + 1
        assert final["counts"]["failed"] == 0
        assert sum(final["counts"].values()) == rows
        assert fleet.users("district-a") == (rows, rows)
        assert client.get("/readyz").status_code == 200
    finally:
        proxy.close()


def test_the_object_store_going_away_answers_5xx_and_workers_recover(
    fleet_factory: FleetFactory, s3_server: S3Server, bucket: str, tmp_path: Path
) -> None:
    proxy = TcpProxy(s3_server.port)
    try:
        fleet = fleet_factory(LOADBAY_S3_ENDPOINT=f"http://{proxy.url_host}").start(workers=0)
        client = fleet.client()
        waiting = client.upload(users_file(tmp_path / "first.csv", 50))

        proxy.cut()
        with users_file(tmp_path / "second.csv", 50, prefix="other").open("rb") as handle:
            response = httpx.post(
                f"{fleet.api.url}/api/v1/upload",
                headers=client.headers,
                files={"file": ("second.csv", handle, "text/csv")},
                timeout=60,
            )
        assert response.status_code >= 500, response.text
        assert response.json()["message"]
        assert fleet.import_count() == 1
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "storage" in ready.json()

        # A worker that starts during the outage takes the import, cannot read it, and waits:
        # the outage does not use up the import's attempts.
        worker = fleet.add_worker()
        time.sleep(4)
        assert worker.alive()
        assert client.status(waiting)["status"] == "pending"

        proxy.restore()
        final = client.wait_finished(waiting, timeout=60)
        assert final["status"] == "processed", final
        assert final["counts"]["created"] == 50
        assert final["attempts"] == 1
        assert client.get("/readyz").status_code == 200
        assert s3_server.keys(bucket, "loadbay/import-csv/pending/") == []
    finally:
        proxy.close()


def test_sigterm_hands_the_running_import_back_and_exits_0(
    fleet_factory: FleetFactory, tmp_path: Path
) -> None:
    fleet = fleet_factory().start(workers=0)
    stopping = fleet.add_worker(LOADBAY_WORKER_GRACE_SECONDS="0.5")
    client = fleet.client()
    rows = 5000
    reference_id = client.upload(users_file(tmp_path / "users.csv", rows))
    fleet.wait_for(reference_id, lambda job: job.file_line > 1000)

    started = time.monotonic()
    assert stopping.signal(signal.SIGTERM, timeout=20) == 0
    assert time.monotonic() - started < 10
    job = fleet.job(reference_id)
    assert "handed back import" in stopping.log()
    # Claimable at once by anyone, and the interrupted run is not counted as an attempt.
    assert (job.status, job.lease_owner, job.lease_expires_at, job.attempts) == ("pending", None, None, 0)

    fleet.add_worker()
    final = client.wait_finished(reference_id, timeout=120)
    assert final["status"] == "processed", final
    assert final["attempts"] == 1
    assert sum(final["counts"].values()) == rows
    assert fleet.users("district-a") == (rows, rows)
