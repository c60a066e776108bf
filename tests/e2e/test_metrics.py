"""Metrics with several processes (issue 16): ``loadbay api --workers 2`` sums its processes'
counters on every scrape; a ``loadbay worker`` serves its own on ``--metrics-port``."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.server import LOADBAY, LoadbayServer, free_port
from tests.e2e.test_seeds import _token, _upload, _wait_finished

pytestmark = pytest.mark.e2e


def _samples(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(url, timeout=30).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"{url} never answered")


def test_two_api_processes_and_a_worker_report_one_import(tmp_path: Path, database_url: str) -> None:
    api = LoadbayServer(
        data_dir=tmp_path / "data", database_url=database_url, command="api", args=["--workers", "2"]
    ).start(LOADBAY_LOG_FORMAT="json")
    metrics_port = free_port()
    env = {**api.env, "LOADBAY_WORKER_METRICS_PORT": str(metrics_port)}
    with (tmp_path / "worker.log").open("ab") as log:
        worker = subprocess.Popen([LOADBAY, "worker"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for(f"http://127.0.0.1:{metrics_port}/metrics")
        token = _token(api, api.create_client())
        groups = tmp_path / "groups.csv"
        groups.write_text("group_name,group_organizationId\ng1,root\ng2,root\n")
        status, body = _upload(api, token, groups)
        assert status == 200, body
        assert _wait_finished(api, token, json.loads(body)["result"]["referenceId"])["status"] == "processed"

        # Whichever API process answers, the upload was counted once, and the queue is empty.
        upload = (
            "loadbay_http_requests_total",
            (("method", "POST"), ("route", "/api/v1/upload"), ("status", "200")),
        )
        for _ in range(6):
            samples = _samples(f"{api.url}/metrics")
            assert samples[upload] == 1
            assert samples[("loadbay_import_queue_depth", ())] == 0
        worker_samples = _samples(f"http://127.0.0.1:{metrics_port}/metrics")
        finished = ("loadbay_imports_finished_total", (("import_type", "groups"), ("status", "processed")))
        assert worker_samples[finished] == 1
        created = ("loadbay_import_rows_total", (("import_type", "groups"), ("outcome", "created")))
        assert worker_samples[created] == 2
        assert worker_samples[("loadbay_workers", ())] == 1
        assert worker_samples[("loadbay_workers_busy", ())] == 0
    finally:
        worker.terminate()
        worker.wait(30)
        api.stop()
    # The processes uvicorn spawned log as the parent was told: JSON lines, the access log too.
    entries = [json.loads(line) for line in api.log_path.read_text().splitlines()]
    assert [e for e in entries if e["logger"] == "uvicorn.access" and "POST /api/v1/upload" in e["message"]]
