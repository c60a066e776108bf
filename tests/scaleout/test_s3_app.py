"""The app on S3-compatible storage (the loopback S3 server), on both databases."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from loadbay.app import create_app
from loadbay.jobs.worker import Worker
from loadbay.migrate import upgrade
from loadbay.models import ImportJob
from tests.conftest import ApiUser, make_settings, run_jobs
from tests.e2e.server import free_port
from tests.scaleout.s3server import S3Server

CSV = "user_username,user_name,user_password,user_organizationId\nalice,Alice,Wonder#land1,root\n"


def s3_app(
    tmp_path: Path, database_url: str, s3_server: S3Server, bucket: str, **overrides: object
) -> TestClient:
    env = s3_server.env(bucket)
    # LOADBAY_S3_ENDPOINT -> s3_endpoint, and so on.
    values: dict[str, object] = {name.removeprefix("LOADBAY_").lower(): value for name, value in env.items()}
    settings = make_settings(tmp_path / "data", database_url, **{**values, **overrides})
    app = create_app(settings, workers=0)
    upgrade(app.state.runtime.engine)
    return TestClient(app)


@pytest.fixture
def http(tmp_path: Path, database_url: str, s3_server: S3Server, bucket: str) -> Iterator[TestClient]:
    with s3_app(tmp_path, database_url, s3_server, bucket, signed_url_ttl_seconds=600) as client:
        yield client


def test_download_is_a_presigned_s3_url_with_the_configured_expiry(
    http: TestClient, s3_server: S3Server, bucket: str
) -> None:
    user = ApiUser.create(http, http.app.state.runtime)  # type: ignore[attr-defined]
    reference_id = str(user.upload(CSV)["referenceId"])
    assert s3_server.keys(bucket) == [f"loadbay/import-csv/pending/{reference_id}.csv"]
    run_jobs(user.runtime)
    assert user.status(reference_id)["status"] == "processed"

    response = http.get(f"/api/v1/download/{reference_id}", headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.json()["expiresIn"] == 600
    signed_url = response.json()["signedUrl"]
    split = urlsplit(signed_url)
    assert f"{split.scheme}://{split.netloc}" == s3_server.endpoint
    assert split.path == f"/{bucket}/loadbay/import-csv/results/{reference_id}.csv"
    assert parse_qs(split.query)["X-Amz-Expires"] == ["600"]
    with urllib.request.urlopen(signed_url, timeout=10) as fetched:
        content = fetched.read().decode()
    assert content.splitlines()[1].startswith("2,created,alice,")
    assert "Wonder#land1" not in content
    # The upload moved out of pending, with its password blanked.
    stored = sorted(s3_server.keys(bucket))
    assert f"loadbay/import-csv/processed/{reference_id}.csv" in stored
    assert f"loadbay/import-csv/pending/{reference_id}.csv" not in stored


def test_readiness_fails_when_the_object_store_is_unreachable(
    tmp_path: Path, database_url: str, s3_server: S3Server, bucket: str
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with s3_app(tmp_path, database_url, s3_server, bucket, s3_endpoint=dead) as http:
        ready = http.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable"
        assert ready.json()["storage"].startswith("Generic S3 error")
        user = ApiUser.create(http, http.app.state.runtime)  # type: ignore[attr-defined]
        response = http.post(
            "/api/v1/upload", headers=user.headers, files={"file": ("users.csv", CSV.encode(), "text/csv")}
        )
        assert response.status_code >= 500
        assert response.json()["message"]
        assert run_jobs(user.runtime) == 0


def test_a_worker_whose_housekeeping_finds_the_store_down_claims_nothing(
    http: TestClient, tmp_path: Path, database_url: str, s3_server: S3Server, bucket: str
) -> None:
    user = ApiUser.create(http, http.app.state.runtime)  # type: ignore[attr-defined]
    reference_id = str(user.upload(CSV)["referenceId"])
    dead = f"http://127.0.0.1:{free_port()}"
    with s3_app(tmp_path / "down", database_url, s3_server, bucket, s3_endpoint=dead) as down:
        worker = Worker(down.app.state.runtime, name="cut-off")  # type: ignore[attr-defined]
        # The orphan sweep cannot list the store: the worker waits for it rather than take an
        # import it could not read, which would cost the import an attempt.
        worker._run_periodic()
        assert worker.run_once() is False
    with user.runtime.sessions() as session:
        job = session.get(ImportJob, reference_id)
        assert job is not None
        assert (job.status, job.attempts, job.lease_owner) == ("pending", 0, None)
    assert run_jobs(user.runtime) == 1
    assert user.status(reference_id)["status"] == "processed"
