"""Seed 003: creating and showing batches, uploading their file, every error as a BaseCommandResponse."""

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from loadbay.config import Settings
from loadbay.db import transaction
from loadbay.models import ImportBatch, ImportJob
from loadbay.payments.companies import create_company, create_project
from loadbay.runtime import Runtime
from tests.batches.conftest import Merchant, command
from tests.conftest import ApiUser, run_jobs

TX = (
    "TransactionId,AccountId,Type,Amount,Currency,Status,TransactionDate\n"
    "t1,acc-1,Sale,12.50,USD,Completed,2026-11-24T10:00:00Z\n"
)
UNKNOWN = "9ef15c43-a955-4f4b-87e3-1b6d4f0e3a9c"


def _count(runtime: Runtime, model: type[ImportJob] | type[ImportBatch]) -> int:
    with runtime.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_create_batch_answers_the_base_command_response_with_its_id(merchant: Merchant) -> None:
    response = merchant.http.post(
        "/api/adm/import/batches",
        headers=merchant.headers,
        json={
            "CompanyId": merchant.company_id,
            "CompanyProjectId": merchant.project_id,
            "Type": "Transactions",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "code", "errorMessage", "batchId"}
    assert (body["success"], body["code"], body["errorMessage"]) == (True, 200, None)
    shown = merchant.batch(body["batchId"])
    assert shown["state"] == "Created"
    assert shown["processingComplete"] is False
    assert (shown["companyId"], shown["companyProjectId"], shown["type"]) == (
        merchant.company_id,
        merchant.project_id,
        "Transactions",
    )
    assert shown["retentionDays"] == 30
    assert shown["filesDeleteAfter"] is None


def test_create_batch_accepts_camel_case_fields_and_any_type_casing(merchant: Merchant) -> None:
    response = merchant.http.post(
        "/api/admin/importBatches",
        headers=merchant.headers,
        json={
            "companyId": merchant.company_id,
            "companyProjectId": merchant.project_id,
            "type": "paymentsinfo",
        },
    )
    assert response.status_code == 200, response.text
    assert merchant.batch(response.json()["batchId"])["type"] == "PaymentsInfo"


CREATE_ERRORS = [
    ("not json", 400, "Send a JSON object"),
    ({"CompanyId": "{company}", "CompanyProjectId": "{project}"}, 400, "Type is required"),
    (
        {"CompanyId": "{company}", "CompanyProjectId": "{project}", "Type": "Users"},
        400,
        "Type 'Users' is not",
    ),
    ({"CompanyProjectId": "{project}", "Type": "Transactions"}, 400, "CompanyId is required"),
    ({"CompanyId": "abc", "CompanyProjectId": "{project}", "Type": "Transactions"}, 400, "is not a GUID"),
    (
        {"CompanyId": UNKNOWN, "CompanyProjectId": "{project}", "Type": "Transactions"},
        404,
        "Company not found",
    ),
    (
        {"CompanyId": "{company}", "CompanyProjectId": UNKNOWN, "Type": "Transactions"},
        404,
        "project not found",
    ),
]


def test_create_batch_errors(merchant: Merchant) -> None:
    for body, status, fragment in CREATE_ERRORS:
        if isinstance(body, dict):
            filled = {
                k: v.format(company=merchant.company_id, project=merchant.project_id) for k, v in body.items()
            }
            response = merchant.http.post("/api/adm/import/batches", headers=merchant.headers, json=filled)
        else:
            response = merchant.http.post(
                "/api/adm/import/batches", headers=merchant.headers, content=str(body)
            )
        command(response, status, 400 if status == 400 else 404, fragment)
    assert _count(merchant.runtime, ImportBatch) == 0


def test_another_tenants_company_project_and_batch_are_not_found(
    merchant: Merchant, app_client: TestClient, app_runtime: Runtime
) -> None:
    other = Merchant.create(app_client, app_runtime, tenant="shop-b")
    other_batch = other.new_batch()
    response = merchant.http.post(
        "/api/adm/import/batches",
        headers=merchant.headers,
        json={"CompanyId": other.company_id, "CompanyProjectId": other.project_id, "Type": "Transactions"},
    )
    command(response, 404, 404, "Company not found")
    # Its own company with the other company's project.
    response = merchant.http.post(
        "/api/adm/import/batches",
        headers=merchant.headers,
        json={"CompanyId": merchant.company_id, "CompanyProjectId": other.project_id, "Type": "Transactions"},
    )
    command(response, 404, 404, "project not found")
    for path in (f"/api/adm/import/batches/{other_batch}", f"/api/adm/import/entries?batchId={other_batch}"):
        command(merchant.http.get(path, headers=merchant.headers), 404, 404, "Import batch not found")
    command(merchant.upload(other_batch, TX), 404, 404, "Import batch not found")
    command(
        merchant.http.get(f"/api/adm/import/batches/{other_batch}/result", headers=merchant.headers),
        404,
        404,
        "Import batch not found",
    )
    assert other.batch(other_batch)["state"] == "Created"


def test_authentication_and_scope(merchant: Merchant, app_client: TestClient, app_runtime: Runtime) -> None:
    response = app_client.post("/api/adm/import/batches", json={})
    command(response, 401, 401, "Access Denied")
    assert response.headers["www-authenticate"].startswith("Bearer")
    command(
        app_client.get(f"/api/adm/import/batches/{UNKNOWN}", headers={"Authorization": "Bearer forged"}),
        401,
        401,
        "Access Denied",
    )
    rostering = ApiUser.create(app_client, app_runtime, tenant="shop-a")
    command(
        app_client.get(f"/api/adm/import/batches/{UNKNOWN}", headers=rostering.headers), 403, 401, "scope"
    )


def test_upload_queues_the_import_and_entries_follow_it(merchant: Merchant) -> None:
    batch_id = merchant.new_batch()
    response = merchant.upload(batch_id, TX)
    assert response.status_code == 200
    assert response.json() == {"success": True, "code": 200, "errorMessage": None}
    assert response.headers["loadbay-upload"] == "accepted"
    queued = merchant.entries(batch_id)
    assert (queued["state"], queued["processingComplete"], queued["entries"]) == ("Queued", False, [])
    run_jobs(merchant.runtime)
    done = merchant.entries(batch_id)
    assert (done["state"], done["processingComplete"], done["fileLine"]) == ("Completed", True, 2)
    assert done["entries"] == [{"line": 2, "status": "Created", "key": "t1", "error": None}]
    shown = merchant.batch(batch_id)
    assert shown["fileName"] == "batch.csv"
    assert len(shown["fileSha256"]) == 64
    assert shown["filesDeleteAfter"] is not None
    # The batch names its import as the imports API knows it.
    followed = merchant.http.get(f"/api/v1/imports/{shown['referenceId']}", headers=merchant.headers)
    assert followed.status_code == 200, followed.text
    assert (followed.json()["status"], followed.json()["importType"]) == ("processed", "Transactions")


def test_a_batch_without_a_file_has_no_reference_id_yet(merchant: Merchant) -> None:
    assert merchant.batch(merchant.new_batch())["referenceId"] is None


def test_companies_lists_the_tenants_companies_and_projects_by_name(
    merchant: Merchant, app_client: TestClient, app_runtime: Runtime
) -> None:
    Merchant.create(app_client, app_runtime, tenant="shop-b")
    with transaction(merchant.runtime.write_sessions) as session:
        second = create_company(session, tenant_name="shop-a", name="Another ltd", retention_days=7)
        for name in ("web", "pos"):
            create_project(session, company_id=second.id, name=name)
    response = merchant.http.get("/api/adm/companies", headers=merchant.headers)
    assert response.status_code == 200
    body = response.json()
    assert (body["success"], body["code"], body["errorMessage"]) == (True, 200, None)
    listed = [
        (c["companyId"], c["name"], c["retentionDays"], [p["name"] for p in c["projects"]])
        for c in body["data"]
    ]
    # Only shop-a's, sorted by name; shop-b's company is not there.
    assert listed == [
        (second.id, "Another ltd", 7, ["pos", "web"]),
        (merchant.company_id, "shop-a ltd", 30, ["main"]),
    ]
    assert body["data"][1]["projects"][0]["companyProjectId"] == merchant.project_id


def test_companies_needs_the_payments_scope(
    merchant: Merchant, app_client: TestClient, app_runtime: Runtime
) -> None:
    command(app_client.get("/api/adm/companies"), 401, 401, "Access Denied")
    rostering = ApiUser.create(app_client, app_runtime, tenant="shop-a")
    command(app_client.get("/api/adm/companies", headers=rostering.headers), 403, 401, "scope")


QUERY_SPELLINGS = [
    "BatchId={batch}&CompanyId={company}&CompanyProjectId={project}&Type=Transactions",
    "batchId={batch}&companyId={company}&companyProjectId={project}&type=transactions",
    "batchId={batch}&importType=Transactions",
]


def test_upload_query_spellings(merchant: Merchant) -> None:
    for query in QUERY_SPELLINGS:
        batch_id = merchant.new_batch()
        filled = query.format(batch=batch_id, company=merchant.company_id, project=merchant.project_id)
        assert merchant.upload(batch_id, TX, query=filled).status_code == 200


def test_upload_on_the_examples_path(merchant: Merchant) -> None:
    batch_id = merchant.new_batch()
    response = merchant.http.post(
        f"/api/admin/importBatches/file?batchId={batch_id}",
        headers=merchant.headers,
        files={"file": ("t.csv", TX.encode(), "text/csv")},
    )
    assert response.json() == {"success": True, "code": 200, "errorMessage": None}


def test_the_same_file_again_is_recognised_and_not_imported_twice(merchant: Merchant) -> None:
    batch_id = merchant.new_batch()
    assert merchant.upload(batch_id, TX).status_code == 200
    again = merchant.upload(batch_id, TX, filename="renamed.csv")
    assert again.json() == {"success": True, "code": 200, "errorMessage": None}
    assert again.headers["loadbay-upload"] == "duplicate"
    run_jobs(merchant.runtime)
    # After the import too.
    assert merchant.upload(batch_id, TX).headers["loadbay-upload"] == "duplicate"
    assert _count(merchant.runtime, ImportJob) == 1
    assert merchant.batch(batch_id)["fileName"] == "batch.csv"


def test_a_different_file_for_a_batch_with_one_is_refused(merchant: Merchant) -> None:
    batch_id = merchant.new_batch()
    assert merchant.upload(batch_id, TX).status_code == 200
    other = TX.replace("12.50", "13.00")
    command(merchant.upload(batch_id, other), 400, 400, "already has a file (batch.csv")
    assert _count(merchant.runtime, ImportJob) == 1


INVALID_FILES = [
    (b"TransactionId\nt1,caf\xe9\n", "t.csv", "Invalid file type"),
    (TX.encode(), "t.txt", "only .csv files"),
    (b"", "t.csv", "Invalid file type"),
    (b"TransactionId,AccountId\nt1,a\n", "t.csv", "missing mandatory column(s) Type, Amount, Currency"),
    (b"TransactionId,Foo\n", "t.csv", "unknown column(s) Foo"),
    (
        b"TransactionId,AccountId,Type,Amount,Currency,Status,TransactionDate,Amount\n",
        "t.csv",
        "Amount appear more than once",
    ),
    (b'"TransactionId,AccountId\n', "t.csv", "Invalid"),
]


def test_invalid_files_are_refused_with_400_and_leave_nothing(merchant: Merchant) -> None:
    batch_id = merchant.new_batch()
    for content, filename, fragment in INVALID_FILES:
        command(merchant.upload(batch_id, content, filename=filename), 400, 400, fragment)
        assert _count(merchant.runtime, ImportJob) == 0
        assert merchant.batch(batch_id)["state"] == "Created"
    assert not list((merchant.runtime.settings.data_dir / "objects").rglob("*.csv"))
    # The batch can still take a good file.
    assert merchant.upload(batch_id, TX).status_code == 200


def test_missing_columns_message_lists_the_expected_columns(merchant: Merchant) -> None:
    batch_id = merchant.new_batch("PaymentsInfo")
    response = merchant.upload(batch_id, TX)
    command(response, 400, 400, "The header does not fit PaymentsInfo")
    assert "PaymentInfoId*, AccountId*, PaymentMethod*, Token*" in response.json()["errorMessage"]


QUERY_ERRORS = [
    ("", 400, "BatchId is required"),
    ("BatchId=nope", 400, "is not a GUID"),
    (f"BatchId={UNKNOWN}", 404, "Import batch not found"),
    ("BatchId={batch}&Type=PaymentsInfo", 400, "is not the batch's type (Transactions)"),
    (f"BatchId={{batch}}&CompanyId={UNKNOWN}", 400, "is not the batch's CompanyId"),
    (f"BatchId={{batch}}&CompanyProjectId={UNKNOWN}", 400, "is not the batch's CompanyProjectId"),
]


def test_upload_query_errors(merchant: Merchant) -> None:
    batch_id = merchant.new_batch()
    for query, status, fragment in QUERY_ERRORS:
        response = merchant.upload(batch_id, TX, query=query.format(batch=batch_id))
        command(response, status, 400 if status == 400 else 404, fragment)
    assert _count(merchant.runtime, ImportJob) == 0


def test_missing_file_field(merchant: Merchant) -> None:
    batch_id = merchant.new_batch()
    response = merchant.http.post(
        f"/api/adm/import/file?BatchId={batch_id}", headers=merchant.headers, data={"Name": "x"}
    )
    command(response, 400, 400, "Missing file")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A 1000-byte limit for this module: every other file here is far smaller."""
    settings.batches_max_upload_bytes = 1000
    return settings


def test_a_file_over_the_limit_is_a_400(merchant: Merchant) -> None:
    batch_id = merchant.new_batch()
    big = TX + "".join(f"t{i},acc-1,Sale,1.00,USD,Completed,2026-11-24T10:00:00Z\n" for i in range(2, 40))
    command(merchant.upload(batch_id, big), 400, 400, "File too large: the limit is 1000 bytes")
    assert _count(merchant.runtime, ImportJob) == 0


def test_an_idempotency_key_replays_the_first_upload_and_refuses_another_file(merchant: Merchant) -> None:
    batch_id = merchant.new_batch()

    def upload(content: str) -> Response:
        return merchant.http.post(
            f"/api/adm/import/file?BatchId={batch_id}",
            headers={**merchant.headers, "Idempotency-Key": "tx-2026-12-03"},
            files={"file": ("t.csv", content.encode(), "text/csv")},
        )

    assert upload(TX).headers["loadbay-upload"] == "accepted"
    again = upload(TX)
    assert again.json() == {"success": True, "code": 200, "errorMessage": None}
    assert (again.headers["loadbay-upload"], again.headers["idempotent-replayed"]) == ("duplicate", "true")
    command(upload(TX.replace("12.50", "13.00")), 422, 400, "Idempotency-Key 'tx-2026-12-03' was used")
    assert _count(merchant.runtime, ImportJob) == 1


def test_too_many_uploads_is_a_429_command_response_with_retry_after(merchant: Merchant) -> None:
    merchant.runtime.settings.uploads_per_minute = 1
    first = merchant.new_batch()
    assert merchant.upload(first, TX).status_code == 200
    response = merchant.upload(merchant.new_batch(), TX)
    command(response, 429, 400, "Too many uploads: this client may send 1 a minute; retry in ")
    assert int(response.headers["Retry-After"]) >= 1
