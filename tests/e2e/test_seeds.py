"""Seeds 000-002 end to end: a real ``loadbay serve`` process and the seeds' curl commands as written."""

import csv
import io
import json
import signal
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.server import LoadbayServer, curl

pytestmark = pytest.mark.e2e

USERS_CSV = (
    "user_username,user_name,user_password,user_email,user_organizationId\n"
    "jdoe,John Doe,Str0ng#Pass,jdoe@example.org,root\n"
)


def _token(server: LoadbayServer, client: dict[str, str], path: str = "/api/v1/oauth2/tokens") -> str:
    status, body = curl(
        f"curl --location '{server.url}{path}' "
        "--form 'grant_type=\"client_credentials\"' "
        f"--form 'client_id=\"{client['client_id']}\"' "
        f"--form 'client_secret=\"{client['client_secret']}\"'"
    )
    assert status == 200, body
    payload = json.loads(body)
    assert payload["token_type"] == "Bearer"
    assert payload["expires_in"] == 3600
    token: str = payload["access_token"]
    return token


def _upload(server: LoadbayServer, token: str, path: Path) -> tuple[int, str]:
    return curl(
        f"curl --location '{server.url}/api/v1/upload' "
        f"--header 'Authorization: Bearer {token}' "
        "--header 'Content-Type: multipart/form-data' "
        f"--form 'file=@\"{path}\"'"
    )


def _status(server: LoadbayServer, token: str, reference_id: str) -> dict[str, object]:
    status, body = curl(
        f"curl --location '{server.url}/api/v1/upload/api/v1/status/{reference_id}' "
        f"--header 'Authorization: Bearer {token}'"
    )
    assert status == 200, body
    result: dict[str, object] = json.loads(body)["result"]
    return result


def _wait_finished(
    server: LoadbayServer, token: str, reference_id: str, timeout: float = 60
) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = _status(server, token, reference_id)
        if result["status"] != "pending":
            return result
        time.sleep(0.2)
    raise AssertionError(f"import {reference_id} still pending after {timeout} s")


def test_seed_walkthrough_token_upload_status_download(server: LoadbayServer, tmp_path: Path) -> None:
    client = server.create_client()
    token = _token(server, client)
    users = tmp_path / "users.csv"
    users.write_text(USERS_CSV)

    status, body = _upload(server, token, users)
    assert status == 200, body
    result = json.loads(body)["result"]
    reference_id = result["referenceId"]
    assert result["message"] == f"File uploaded to import-csv/pending/{reference_id}.csv"

    # The token from the second documented spelling works the same.
    token = _token(server, client, "/api/v1/upload/v1/oauth2/tokens")
    final = _wait_finished(server, token, reference_id)
    assert final["status"] == "processed"
    assert final["fileLine"] == 2
    assert final["messages"] == []

    status, body = curl(
        f"curl --location '{server.url}/api/v1/upload/api/v1/download/{reference_id}' "
        f"--header 'Authorization: Bearer {token}'"
    )
    assert status == 200, body
    signed_url = json.loads(body)["signedUrl"]
    assert signed_url.startswith(server.url + "/signed/")
    status, content = curl(f"curl --location '{signed_url}'")
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(content)))
    assert rows == [
        {
            "line": "2",
            "outcome": "created",
            "key": "jdoe",
            "messages": "",
            "user_username": "jdoe",
            "user_name": "John Doe",
            "user_email": "jdoe@example.org",
            "user_organizationId": "root",
        }
    ]
    tampered = signed_url.replace("signature=", "signature=x")
    assert curl(f"curl '{tampered}'")[0] == 403


def test_seed_error_rows_over_http(server: LoadbayServer, tmp_path: Path) -> None:
    client = server.create_client()
    token = _token(server, client)

    status, body = curl(f"curl '{server.url}/api/v1/upload' --form 'file=@\"/dev/null\"'")
    assert (status, body) == (401, "Access Denied")

    status, body = curl(
        f"curl '{server.url}/api/v1/upload' --header 'Authorization: Bearer {token}' --form 'other=1'"
    )
    assert status == 400
    assert "'file'" in json.loads(body)["message"]

    picture = tmp_path / "users.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    status, body = _upload(server, token, picture)
    assert status == 400
    assert json.loads(body)["message"].startswith("Invalid file type")

    payments_client = server.create_client("district-a", "payments")
    status, body = _upload(server, _token(server, payments_client), tmp_path / "users.png")
    assert (status, json.loads(body)) == (403, {"message": "Insufficient scope"})

    status, body = curl(
        f"curl '{server.url}/api/v1/status/00000000-0000-0000-0000-000000000000' "
        f"--header 'Authorization: Bearer {token}'"
    )
    assert (status, json.loads(body)) == (
        404,
        {"message": "Reference ID not found. File not found in pending bucket."},
    )

    done = server.cli("clients", "revoke", client["client_id"])
    assert done.returncode == 0, done.stderr
    status, body = curl(
        f"curl '{server.url}/api/v1/status/00000000-0000-0000-0000-000000000000' "
        f"--header 'Authorization: Bearer {token}'"
    )
    assert (status, body) == (401, "Access Denied")
    listed = json.loads(server.cli("clients", "list", "--json").stdout)
    assert {row["client_id"]: row["revoked"] for row in listed}[client["client_id"]] is True


def test_over_the_limit_is_refused_while_streaming(
    server_factory: type[LoadbayServer], tmp_path: Path
) -> None:
    server = server_factory().start(LOADBAY_MAX_UPLOAD_BYTES=str(1024 * 1024))
    token = _token(server, server.create_client())
    big = tmp_path / "big.csv"
    with big.open("w") as handle:
        handle.write("user_username,user_password,user_organizationId\n")
        for i in range(400_000):
            handle.write(f"user{i},Str0ng#Pass,root\n")
    status, body = _upload(server, token, big)
    assert status == 413
    assert "limit" in json.loads(body)["message"]
    objects = server.data_dir / "objects"
    assert not any(p.is_file() for p in objects.rglob("*"))


def test_an_accepted_upload_survives_a_restart(server_factory: type[LoadbayServer], tmp_path: Path) -> None:
    # No workers: the upload is accepted and waits; the next start imports it.
    server = server_factory().start(LOADBAY_WORKERS="0")
    client = server.create_client()
    token = _token(server, client)
    users = tmp_path / "users.csv"
    users.write_text(USERS_CSV)
    reference_id = json.loads(_upload(server, token, users)[1])["result"]["referenceId"]
    server.stop()
    server.start(LOADBAY_WORKERS="2")
    assert _wait_finished(server, token, reference_id)["status"] == "processed"


def test_an_import_killed_midway_finishes_after_restart(
    server_factory: type[LoadbayServer], tmp_path: Path
) -> None:
    server = server_factory().start(LOADBAY_LEASE_SECONDS="3", LOADBAY_BATCH_ROWS="500", LOADBAY_WORKERS="1")
    token = _token(server, server.create_client())
    # Twelve checkpoints of 500 rows: the kill lands after the first, with eleven to go.
    rows = 6_000
    users = tmp_path / "users.csv"
    with users.open("w") as handle:
        handle.write("user_username,user_name,user_password,user_organizationId\n")
        for i in range(rows):
            # Plain passwords: slow enough to kill the import halfway through.
            handle.write(f"user{i:05d},User {i},Str0ng#Pass{i},root\n")
    reference_id = json.loads(_upload(server, token, users)[1])["result"]["referenceId"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        progress = _status(server, token, reference_id)
        if int(progress["fileLine"]) > 1:  # type: ignore[call-overload]
            break
        time.sleep(0.05)
    assert progress["status"] == "pending", "the import finished before it could be killed"
    server.stop(signal.SIGKILL)
    server.start()
    final = _wait_finished(server, token, reference_id, timeout=240)
    assert final["status"] == "processed"
    assert final["fileLine"] == rows + 1
    counts = final["counts"]
    assert counts["failed"] == 0  # type: ignore[index]
    assert counts["created"] + counts["updated"] + counts["unchanged"] == rows  # type: ignore[index]
    with urllib.request.urlopen(f"{server.url}/readyz", timeout=5) as response:
        assert json.loads(response.read())["status"] == "ready"


def test_standalone_worker_imports_and_exits_cleanly_on_sigterm(
    server_factory: type[LoadbayServer], tmp_path: Path
) -> None:
    import subprocess

    from tests.e2e.server import LOADBAY

    server = server_factory().start(LOADBAY_WORKERS="0")
    token = _token(server, server.create_client())
    users = tmp_path / "users.csv"
    users.write_text(USERS_CSV)
    reference_id = json.loads(_upload(server, token, users)[1])["result"]["referenceId"]
    assert _status(server, token, reference_id)["status"] == "pending"
    worker = subprocess.Popen(
        [LOADBAY, "worker", "--concurrency", "2"],
        env=server.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        final = _wait_finished(server, token, reference_id)
        assert final["status"] == "processed", final
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0


def test_the_workers_sweep_files_that_no_import_needs(server_factory: type[LoadbayServer]) -> None:
    server = server_factory().start(LOADBAY_ORPHAN_SWEEP_SECONDS="0.3", LOADBAY_ORPHAN_GRACE_SECONDS="0")
    # An upload whose request died before its commit: a file no import row names.
    stray = (
        server.data_dir / "objects" / "import-csv" / "pending" / "0d6f8a52-5b1e-4e43-9a8c-3f1f9b7c2a10.csv"
    )
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_text("user_username\nlost\n")
    logged = "deleted 1 stored file(s) that no import needed"
    deadline = time.monotonic() + 20
    # The log line comes after the delete: wait for both.
    while (stray.exists() or logged not in server.log_path.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not stray.exists()
    assert logged in server.log_path.read_text()
