"""``LoadbayClient`` in this process against a real server: streamed uploads, token renewal, restarts."""

from __future__ import annotations

import csv
import io
import threading
import time
from pathlib import Path

import httpx
import pytest

from loadbay.client.api import LoadbayClient
from loadbay.client.multipart import CHUNK_BYTES
from loadbay.client.schemas import ImportDetail
from loadbay.client.waiting import wait_finished
from tests.conftest import Credentials
from tests.e2e.server import LoadbayServer

pytestmark = pytest.mark.e2e

# No workers, so that an upload stays pending until a test restarts the server with some; tokens
# that last 2 s, so that a wait outlives its first one.
SERVER_ENV = {"LOADBAY_WORKERS": "0", "LOADBAY_TOKEN_TTL_SECONDS": "2"}

HEADER = "user_username,user_name,user_password,user_email,user_role,user_organizationId\n"


def connect(server: LoadbayServer, credentials: Credentials, paths: list[str]) -> LoadbayClient:
    """A client whose every request's path lands in ``paths``."""
    http = httpx.Client(event_hooks={"request": [lambda request: paths.append(request.url.path)]})
    return LoadbayClient(
        server.url, client_id=credentials.client_id, client_secret=credentials.client_secret, http=http
    )


def test_upload_streams_the_file_in_chunks_with_its_name_and_options(
    server: LoadbayServer, credentials: Credentials, tmp_path: Path
) -> None:
    # A header that fits no template: once a worker runs, it fails at once rather than import 12,000 rows.
    path = tmp_path / "équipe 2026.csv"
    path.write_text("note,text\n" + "".join(f"{n},{'words ' * 8}\n" for n in range(12_000)))
    size = path.stat().st_size
    progress: list[tuple[int, int | None]] = []

    with connect(server, credentials, []) as client:
        reference_id = client.upload(
            path,
            options={"dryRun": "true", "onError": "abort"},
            on_progress=lambda done, total: progress.append((done, total)),
        )
        detail = client.import_detail(reference_id)

    assert size > 2 * CHUNK_BYTES
    assert progress == [(CHUNK_BYTES, size), (2 * CHUNK_BYTES, size), (size, size)]
    assert detail["status"] == "pending"
    assert detail["fileName"] == "équipe 2026.csv"
    assert detail["sizeBytes"] == size
    assert detail["totalLines"] == 12_001
    assert (detail["dryRun"], detail["onError"]) == (True, "abort")


# Last in this module: it restarts the server with workers.
def test_a_wait_outlives_its_token_and_a_restart_of_the_server(
    server: LoadbayServer, credentials: Credentials, tmp_path: Path
) -> None:
    path = tmp_path / "users.csv"
    path.write_text(HEADER + "rita,Rita Moreno,Str0ng#Pass,rita@example.org,,root\nsam,Sam,weak,sam@,,root\n")
    paths: list[str] = []
    seen: list[ImportDetail] = []
    finished: list[ImportDetail] = []

    with connect(server, credentials, paths) as client:
        reference_id = client.upload(path, options={})
        waiter = threading.Thread(
            target=lambda: finished.append(wait_finished(client, reference_id, on_update=seen.append))
        )
        waiter.start()
        while not seen:
            time.sleep(0.05)
        server.stop()
        server.start(LOADBAY_WORKERS="1")
        waiter.join(60)
        result = io.BytesIO()
        client.download(reference_id, result)

    assert seen[0]["status"] == "pending"
    assert finished[0]["status"] == "processed"
    assert finished[0]["counts"]["failed"] == 1
    assert paths.count("/api/v1/oauth2/tokens") >= 2
    rows = list(csv.DictReader(io.StringIO(result.getvalue().decode())))
    assert [(row["line"], row["outcome"], row["key"]) for row in rows] == [
        ("2", "created", "rita"),
        ("3", "failed", "sam"),
    ]
