"""Cancelling a running 1,000,000-row import through a real ``loadbay serve``, with the CLI."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import LOADBAY, LoadbayServer

pytestmark = pytest.mark.e2e

ROWS = 1_000_000


def _token(server: LoadbayServer, client: dict[str, str]) -> str:
    response = httpx.post(
        f"{server.url}/api/v1/oauth2/tokens",
        data={"grant_type": "client_credentials", **client},
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def test_a_running_import_cancelled_from_the_cli_stops_at_a_batch_and_keeps_its_rows(
    server_factory: type[LoadbayServer], tmp_path: Path
) -> None:
    # Checkpoints of 5,000 rows: two hundred in the file, which keep the import running for
    # seconds while the CLI starts and asks (with 50,000, a fast machine finished it first).
    server = server_factory().start(LOADBAY_MAX_UPLOAD_BYTES=str(100 << 20), LOADBAY_BATCH_ROWS="5000")
    client = server.create_client()
    headers = {"Authorization": f"Bearer {_token(server, client)}"}
    path = tmp_path / "groups.csv"
    with path.open("w") as handle:
        handle.write("group_name,group_description,group_organizationId\n")
        handle.writelines(f"group{i:07d},Group {i},root\n" for i in range(ROWS))
    with path.open("rb") as body, httpx.Client(base_url=server.url, headers=headers, timeout=120) as http:
        reference = http.post("/api/v1/upload", files={"file": ("groups.csv", body, "text/csv")}).json()[
            "result"
        ]["referenceId"]
        # Cancel once the first batch is committed: the import is running, far from its end.
        deadline = time.monotonic() + 120
        while http.get(f"/api/v1/imports/{reference}").json()["counts"]["created"] == 0:
            assert time.monotonic() < deadline, "the import never started"
            time.sleep(0.05)
        env = {**server.env, "LOADBAY_URL": server.url, "LOADBAY_CLIENT_ID": client["client_id"]}
        env["LOADBAY_CLIENT_SECRET"] = client["client_secret"]
        asked = time.monotonic()
        done = subprocess.run(
            [LOADBAY, "imports", "cancel", reference, "--wait", "--json", "--quiet"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        stopped = time.monotonic() - asked
        assert done.returncode == 2, done.stderr
        item = json.loads(done.stdout)
        assert item["status"] == "cancelled"
        # The batches committed before the cancel stay (batches end on a line), and are counted.
        created = item["counts"]["created"]
        assert 0 < created < ROWS
        assert item["fileLine"] == created + 1
        # A liveness bound, not a speed goal: it stops after a batch, not at the end of the file.
        assert stopped < 30, stopped
        detail = http.get(f"/api/v1/imports/{reference}").json()
        assert detail["counts"] == item["counts"]
        tao = http.get(f"/api/v1/status/{reference}").json()["result"]
        assert (tao["status"], tao["messages"][0]) == ("failed", "Import cancelled")
        again = subprocess.run(
            [LOADBAY, "imports", "cancel", reference], env=env, capture_output=True, text=True, timeout=60
        )
        assert again.returncode == 3  # refused: nothing to cancel
        assert "The import has ended (cancelled); only a pending import can be cancelled." in again.stderr
