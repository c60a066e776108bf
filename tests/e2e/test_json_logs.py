"""LOADBAY_LOG_FORMAT=json on a real ``loadbay serve`` (issue 16): every line from start-up to
shutdown is a JSON object, a request's lines carry its request id (and its tenant, client and
reference), an import's lines its reference, and no secret reaches any line at any level."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import LoadbayServer, curl
from tests.e2e.test_seeds import _wait_finished

pytestmark = pytest.mark.e2e

PASSWORD = "Str0ng#Pass-42"
USERS = f"user_username,user_name,user_password,user_email,user_organizationId\njdoe,John,{PASSWORD},j@example.org,root\n"


def _cut_upload(server: LoadbayServer, token: str) -> None:
    """Start an upload, send half of it, and hang up, as a browser tab closed mid-upload does."""
    boundary = "cut-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
        "group_name,group_organizationId\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/v1/upload HTTP/1.1\r\nHost: x\r\n"
            + f"Authorization: Bearer {token}\r\n".encode()
            + f"Content-Type: multipart/form-data; boundary={boundary}\r\n".encode()
            + b"Content-Length: 1000000\r\n\r\n"
            + head
            + b"g1,root\r\n" * 1000
        )
        time.sleep(0.5)


def test_every_line_is_json_with_its_request_and_import_and_no_secret(
    server_factory: type[LoadbayServer], tmp_path: Path
) -> None:
    server = server_factory().start(
        LOADBAY_LOG_FORMAT="json", LOADBAY_LOG_LEVEL="DEBUG", LOADBAY_WEBHOOK_ALLOW_PRIVATE="true"
    )
    client = server.create_client()
    with httpx.Client(base_url=server.url, timeout=30) as http:
        answer = http.post(
            "/api/v1/oauth2/tokens",
            data={"grant_type": "client_credentials", **client},
            headers={"X-Request-ID": "req-token-1"},
        )
        assert answer.headers["x-request-id"] == "req-token-1"
        token = answer.json()["access_token"]
        wrong = http.post(
            "/api/v1/oauth2/tokens",
            data={
                "grant_type": "client_credentials",
                "client_id": client["client_id"],
                "client_secret": "wrong-guess",
            },
        )
        assert wrong.status_code == 401
        assert len(wrong.headers["x-request-id"]) == 32  # made up when the client sent none
        headers = {"Authorization": f"Bearer {token}"}
        upload = http.post(
            "/api/v1/upload",
            headers={**headers, "X-Request-ID": "req-upload-1"},
            files={"file": ("users.csv", USERS.encode(), "text/csv")},
        )
        reference = upload.json()["result"]["referenceId"]
        hook = http.post("/api/v1/webhooks", headers=headers, json={"url": "http://127.0.0.1:9/hook"}).json()
    _wait_finished(server, token, reference)
    status, body = curl(
        f"curl --silent '{server.url}/api/v1/download/{reference}' --header 'Authorization: Bearer {token}'"
    )
    assert status == 200, body
    signed = json.loads(body)["signedUrl"]
    assert curl(f"curl --silent '{signed}'")[0] == 200
    _cut_upload(server, token)
    time.sleep(1)
    server.stop()

    lines = server.log_path.read_text().splitlines()
    entries = [json.loads(line) for line in lines]  # every line, from start-up to shutdown
    assert {"timestamp", "level", "logger", "message"} <= set(entries[0])
    messages = [e["message"] for e in entries]
    assert any("Application startup complete" in m for m in messages)
    assert any("Shutting down" in m or "Finished server process" in m for m in messages)

    upload_lines = [e for e in entries if e.get("request_id") == "req-upload-1"]
    access = [e for e in upload_lines if e["logger"] == "uvicorn.access"]
    assert len(access) == 1
    assert "POST /api/v1/upload" in access[0]["message"]
    assert access[0]["reference"] == reference
    assert access[0]["client_id"] == client["client_id"]
    assert access[0]["tenant"]
    assert any(
        e.get("reference") == reference and e["logger"].startswith("loadbay.")
        for e in entries
        if "request_id" not in e
    )
    assert [e for e in entries if e.get("request_id") == "req-token-1" and e["logger"] == "uvicorn.access"]

    # The hung-up upload: one line at INFO, no traceback anywhere.
    gone = [e for e in entries if "client disconnected" in e["message"]]
    assert [e["level"] for e in gone] == ["INFO"]
    assert not [e for e in entries if e["level"] in ("ERROR", "CRITICAL")]
    assert not [e for e in entries if "exception" in e]

    text = server.log_path.read_text()
    for secret in (
        client["client_secret"],
        "wrong-guess",
        token,
        PASSWORD,
        "$argon2",
        hook["secret"],
        hook["secret"].removeprefix("whsec_"),
        signed.rsplit("signature=", 1)[1],
    ):
        assert secret not in text
