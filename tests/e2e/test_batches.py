"""Seed 003 end to end: a real ``loadbay serve``, the CLI, and curl as a merchant integration uses it."""

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.server import LoadbayServer, curl

pytestmark = pytest.mark.e2e

TX = (
    "TransactionId,AccountId,Type,Amount,Currency,Status,TransactionDate\n"
    "t1,acc-1,Sale,12.50,USD,Completed,2026-11-24T10:00:00Z\n"
    "t2,acc-1,Sale,12.505,USD,Completed,2026-11-24T10:00:00Z\n"
)
PAYMENTS_INFO = "PaymentInfoId,AccountId,PaymentMethod,Token\npm-1,acc-1,Card,tok_1\npm-2,acc-1,Card,4111 1111 1111 1111\n"


def _json(server: LoadbayServer, *args: str) -> dict[str, Any]:
    done = server.cli(*args, "--json")
    assert done.returncode == 0, done.stderr + done.stdout
    payload: dict[str, Any] = json.loads(done.stdout)
    return payload


def _token(server: LoadbayServer, client: dict[str, str]) -> str:
    status, body = curl(
        f"curl --location '{server.url}/api/v1/oauth2/tokens' "
        "--form 'grant_type=\"client_credentials\"' "
        f"--form 'client_id=\"{client['client_id']}\"' --form 'client_secret=\"{client['client_secret']}\"'"
    )
    assert status == 200, body
    token: str = json.loads(body)["access_token"]
    return token


def _batch(server: LoadbayServer, token: str, company: str, project: str, kind: str) -> str:
    status, body = curl(
        f"curl --request POST --url '{server.url}/api/adm/import/batches' "
        f"--header 'Authorization: Bearer {token}' --header 'Content-Type: application/json' "
        f'--data \'{{"CompanyId": "{company}", "CompanyProjectId": "{project}", "Type": "{kind}"}}\''
    )
    assert status == 200, body
    batch_id: str = json.loads(body)["batchId"]
    return batch_id


def _upload(server: LoadbayServer, token: str, query: str, path: Path) -> tuple[int, dict[str, Any]]:
    status, body = curl(
        f"curl --request POST --url '{server.url}{query}' "
        f"--header 'Authorization: Bearer {token}' --header 'Content-Type: multipart/form-data' "
        f"--form 'file=@\"{path}\"'"
    )
    payload: dict[str, Any] = json.loads(body)
    return status, payload


def _get(server: LoadbayServer, token: str, path: str) -> tuple[int, dict[str, Any]]:
    status, body = curl(f"curl --url '{server.url}{path}' --header 'Authorization: Bearer {token}'")
    payload: dict[str, Any] = json.loads(body)
    return status, payload


def _until(server: LoadbayServer, token: str, batch_id: str, state: str | None = None) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status, body = _get(server, token, f"/api/adm/import/entries?batchId={batch_id}")
        assert status == 200, body
        data: dict[str, Any] = body["data"]
        if (state is None and data["processingComplete"]) or data["state"] == state:
            return data
        time.sleep(0.1)
    raise AssertionError(f"batch {batch_id} did not finish")


def test_a_merchant_integration_end_to_end(server_factory: type[LoadbayServer], tmp_path: Path) -> None:
    server = server_factory().start(
        LOADBAY_BATCHES_MAX_UPLOAD_BYTES="2000", LOADBAY_RETENTION_SWEEP_SECONDS="0.3"
    )
    client = server.create_client("shop-a", "payments")
    company = _json(server, "companies", "create", "--tenant", "shop-a", "--name", "Shop A")["company_id"]
    project = _json(server, "projects", "create", "--company", company, "--name", "web")["project_id"]
    token = _token(server, client)

    batch_id = _batch(server, token, company, project, "Transactions")
    transactions = tmp_path / "transactions.csv"
    transactions.write_text(TX)
    query = f"/api/adm/import/file?BatchId={batch_id}&CompanyId={company}&CompanyProjectId={project}&Type=Transactions"
    status, body = _upload(server, token, query, transactions)
    assert (status, body) == (200, {"success": True, "code": 200, "errorMessage": None})
    done = _until(server, token, batch_id)
    assert done["state"] == "Completed"
    assert [(e["line"], e["status"], e["key"]) for e in done["entries"]] == [
        (2, "Created", "t1"),
        (3, "Failed", "t2"),
    ]
    assert "more decimal places than USD allows" in done["entries"][1]["error"]
    # The same file again, on the example's spelling: recognised, not imported twice.
    status, body = _upload(server, token, f"/api/admin/importBatches/file?batchId={batch_id}", transactions)
    assert (status, body["success"]) == (200, True)
    other = tmp_path / "other.csv"
    other.write_text(TX.replace("12.50", "13.00"))
    status, body = _upload(server, token, f"/api/adm/import/file?BatchId={batch_id}", other)
    assert (status, body["success"], body["code"]) == (400, False, 400)
    assert "already has a file" in body["errorMessage"]

    status, body = _get(server, token, f"/api/adm/import/batches/{batch_id}/result")
    assert status == 200, body
    status, text = curl(f"curl --location '{body['data']['signedUrl']}'")
    assert status == 200
    assert text.splitlines()[1] == "2,created,t1,,t1,acc-1,Sale,12.50,USD,Completed,2026-11-24T10:00:00Z"

    # Errors the seed documents: an unknown batch, a file over the limit.
    status, body = _upload(
        server, token, "/api/adm/import/file?BatchId=9ef15c43-a955-4f4b-87e3-1b6d4f0e3a9c", other
    )
    assert (status, body["code"], body["errorMessage"]) == (
        404,
        404,
        "Import batch not found: check the BatchId.",
    )
    big = tmp_path / "big.csv"
    big.write_text(TX + "t3,acc-1,Sale,1.00,USD,Completed,2026-11-24T10:00:00Z\n" * 60)
    fresh = _batch(server, token, company, project, "Transactions")
    status, body = _upload(server, token, f"/api/adm/import/file?BatchId={fresh}", big)
    assert (status, body["code"]) == (400, 400)
    assert body["errorMessage"].startswith("File too large: the limit is 2000 bytes")

    # Card numbers never come back, and another tenant sees nothing.
    info = _batch(server, token, company, project, "PaymentsInfo")
    cards = tmp_path / "cards.csv"
    cards.write_text(PAYMENTS_INFO)
    assert _upload(server, token, f"/api/adm/import/file?BatchId={info}", cards)[0] == 200
    entries = _until(server, token, info)
    assert entries["counts"]["failed"] == 1
    assert "**** **** **** 1111" in entries["entries"][1]["error"]
    log = server.log_path.read_text()
    assert "4111 1111 1111 1111" not in log
    stranger = _token(server, server.create_client("shop-b", "payments"))
    status, body = _get(server, stranger, f"/api/adm/import/batches/{info}")
    assert (status, body["success"]) == (404, False)


def test_retention_sweep_in_the_workers(server_factory: type[LoadbayServer], tmp_path: Path) -> None:
    server = server_factory().start(LOADBAY_RETENTION_SWEEP_SECONDS="0.3")
    client = server.create_client("shop-a", "payments")
    args = ("companies", "create", "--tenant", "shop-a", "--name", "Brief", "--retention-days", "0")
    company = _json(server, *args)["company_id"]
    project = _json(server, "projects", "create", "--company", company, "--name", "web")["project_id"]
    token = _token(server, client)
    batch_id = _batch(server, token, company, project, "Transactions")
    path = tmp_path / "t.csv"
    path.write_text(TX)
    assert _upload(server, token, f"/api/adm/import/file?BatchId={batch_id}", path)[0] == 200
    purged = _until(server, token, batch_id, state="Purged")
    assert purged["entries"] == []
    status, body = _get(server, token, f"/api/adm/import/batches/{batch_id}/result")
    assert (status, body["code"]) == (410, 404)
    assert not list((tmp_path / "data" / "objects").rglob("*.csv"))
