"""The imports API as the console and the CLI read it: list, detail with every message, result."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from loadbay.importing.messages import CODES
from loadbay.runtime import Runtime
from tests.conftest import ApiUser, counts, run_jobs

NOT_FOUND = {"message": "Reference ID not found. File not found in pending bucket."}
GOOD_USERS = "user_username,user_name,user_password,user_organizationId\nalice,Alice,Wonder#land1,root\n"
BAD_USERS = (
    "user_username,user_name,user_password,user_email,user_organizationId\n"
    "alice,Alice,Wonder#land1,alice@example.org,root\n"
    "bob,Bob,weak,not-an-email,root\n"
    ",Nobody,Wonder#land1,,root\n"
    "carol,Carol,Wonder#land1,carol@example.org,nowhere\n"
)


def _get(user: ApiUser, path: str, **params: str) -> dict[str, object]:
    response = user.http.get(path, headers=user.headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def _refs(body: dict[str, object]) -> list[str]:
    items = body["items"]
    assert isinstance(items, list)
    return [item["referenceId"] for item in items]


# -- list -------------------------------------------------------------------------


def test_list_is_newest_first_and_pages_by_cursor(rostering: ApiUser) -> None:
    refs = [str(rostering.upload(GOOD_USERS)["referenceId"]) for _ in range(5)]
    first = _get(rostering, "/api/v1/imports", limit="2")
    assert _refs(first) == refs[::-1][:2]
    second = _get(rostering, "/api/v1/imports", limit="2", cursor=str(first["nextCursor"]))
    third = _get(rostering, "/api/v1/imports", limit="2", cursor=str(second["nextCursor"]))
    assert _refs(second) + _refs(third) == refs[::-1][2:]
    assert third["nextCursor"] is None


def test_list_entry_tells_status_type_counts_and_options(rostering: ApiUser) -> None:
    ref = str(rostering.upload(BAD_USERS, dryRun="true")["referenceId"])
    pending = _get(rostering, "/api/v1/imports")["items"][0]  # type: ignore[index]
    assert pending["status"] == "pending"
    assert pending["importType"] is None
    assert pending["fileLine"] == 0
    # Known from the upload, so a progress bar has its end before the import starts.
    assert pending["totalLines"] == 5
    assert pending["dryRun"] is True
    run_jobs(rostering.runtime)
    done = _get(rostering, "/api/v1/imports")["items"][0]  # type: ignore[index]
    assert done["referenceId"] == ref
    assert done["status"] == "processed"
    assert done["importType"] == "users"
    assert done["fileName"] == "users.csv"
    assert done["fileLine"] == done["totalLines"] == 5
    assert done["counts"] == counts(created=1, failed=3)
    assert done["onError"] == "partial"
    assert done["scope"] == "rostering"
    assert done["finishedAt"].endswith("Z")


def test_list_filters_by_status_and_type(rostering: ApiUser) -> None:
    processed = str(rostering.upload(GOOD_USERS)["referenceId"])
    failed = str(rostering.upload("nothing,we,know\n1,2,3\n")["referenceId"])
    run_jobs(rostering.runtime)
    pending = str(rostering.upload(GOOD_USERS)["referenceId"])
    assert _refs(_get(rostering, "/api/v1/imports", status="failed")) == [failed]
    assert _refs(_get(rostering, "/api/v1/imports", status="pending")) == [pending]
    assert _refs(_get(rostering, "/api/v1/imports", type="users")) == [processed]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"status": "done"}, "status must be one of pending, processed, failed, cancelled, not 'done'."),
        ({"type": "pets"}, "type 'pets' is no import type; GET /api/v1/templates lists them."),
        ({"limit": "0"}, "limit must be a whole number from 1 to 200, not '0'."),
        ({"limit": "201"}, "limit must be a whole number from 1 to 200, not '201'."),
        ({"cursor": "bm9wZQ"}, "cursor is not one this API handed out; start again without it."),
    ],
)
def test_list_refuses_bad_parameters_with_a_reason(
    rostering: ApiUser, params: dict[str, str], message: str
) -> None:
    response = rostering.http.get("/api/v1/imports", headers=rostering.headers, params=params)
    assert response.status_code == 400
    assert response.json() == {"message": message}


def test_list_shows_only_the_tenants_imports_in_the_clients_scopes(
    app_client: TestClient, app_runtime: Runtime, rostering: ApiUser
) -> None:
    mine = str(rostering.upload(GOOD_USERS)["referenceId"])
    other_tenant = ApiUser.create(app_client, app_runtime, tenant="district-b")
    other_tenant.upload(GOOD_USERS)
    payments_only = ApiUser.create(app_client, app_runtime, scopes=("payments",))
    both = ApiUser.create(app_client, app_runtime, scopes=("rostering", "payments"))
    assert _refs(_get(rostering, "/api/v1/imports")) == [mine]
    assert _refs(_get(payments_only, "/api/v1/imports")) == []
    assert _refs(_get(both, "/api/v1/imports")) == [mine]
    response = app_client.get(f"/api/v1/imports/{mine}", headers=payments_only.headers)
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_list_needs_a_token(app_client: TestClient) -> None:
    response = app_client.get("/api/v1/imports")
    assert (response.status_code, response.text) == (401, "Access Denied")


# -- detail -----------------------------------------------------------------------


def test_detail_splits_every_message_into_line_column_and_text(rostering: ApiUser) -> None:
    ref = str(rostering.upload(BAD_USERS)["referenceId"])
    run_jobs(rostering.runtime)
    detail = _get(rostering, f"/api/v1/imports/{ref}")
    status = rostering.status(ref)
    # Everything the status endpoint has.
    assert {k: v for k, v in detail.items() if k in status} == status
    page = detail["messagePage"]
    assert page["nextCursor"] is None  # type: ignore[index]
    items = page["items"]  # type: ignore[index]
    assert [(m["line"], m["column"]) for m in items] == [
        (3, "user_password"),
        (3, "user_email"),
        (4, "user_username"),
        (5, "user_organizationId"),
    ]
    assert items[1]["message"] == "is not a valid e-mail address"
    assert (items[1]["code"], items[1]["severity"]) == ("invalid_format", "error")
    assert {m["code"] for m in items} <= set(CODES)
    assert [f"Line {m['line']}: {m['column']}: {m['message']}" for m in items] == detail["messages"]


def test_detail_shows_warnings_and_errors_apart(rostering: ApiUser) -> None:
    # Line 2's 1 is read as TRUE with a warning and the row is written; line 3's MAYBE fails it.
    ref = str(
        rostering.upload(
            "user_username,user_name,user_password,user_organizationId,user_active\n"
            "alice,Alice,Wonder#land1,root,1\n"
            "bob,Bob,Wonder#land1,root,MAYBE\n"
        )["referenceId"]
    )
    run_jobs(rostering.runtime)
    everything = _get(rostering, f"/api/v1/imports/{ref}")["messagePage"]["items"]  # type: ignore[index]
    assert [(m["line"], m["severity"]) for m in everything] == [(2, "warning"), (3, "error")]
    for severity, line, code in (("warning", 2, "boolean_number"), ("error", 3, "invalid_boolean")):
        page = _get(rostering, f"/api/v1/imports/{ref}", severity=severity)["messagePage"]
        assert [(m["line"], m["code"]) for m in page["items"]] == [(line, code)]  # type: ignore[index]
    refused = rostering.http.get(
        f"/api/v1/imports/{ref}", headers=rostering.headers, params={"severity": "x"}
    )
    assert refused.status_code == 400
    assert refused.json() == {"message": "severity must be one of error, warning, not 'x'."}


def test_detail_pages_through_messages_past_the_status_cap(rostering: ApiUser) -> None:
    rows = "".join(f"user{i},User {i},weak,root\n" for i in range(1, 1101))
    ref = str(
        rostering.upload("user_username,user_name,user_password,user_organizationId\n" + rows)["referenceId"]
    )
    run_jobs(rostering.runtime)
    detail = _get(rostering, f"/api/v1/imports/{ref}", limit="500")
    assert detail["messageCount"] == 1100
    assert len(detail["messages"]) == 1000  # type: ignore[arg-type]
    lines: list[int] = []
    cursor = ""
    while True:
        page = _get(
            rostering, f"/api/v1/imports/{ref}", limit="500", **({"cursor": cursor} if cursor else {})
        )
        message_page = page["messagePage"]
        lines += [m["line"] for m in message_page["items"]]  # type: ignore[index]
        if message_page["nextCursor"] is None:  # type: ignore[index]
            break
        cursor = message_page["nextCursor"]  # type: ignore[index]
    assert lines == list(range(2, 1102))


def test_file_level_messages_have_no_column(rostering: ApiUser) -> None:
    ref = str(rostering.upload("nothing,we,know\n1,2,3\n")["referenceId"])
    run_jobs(rostering.runtime)
    items = _get(rostering, f"/api/v1/imports/{ref}")["messagePage"]["items"]  # type: ignore[index]
    assert len(items) == 1
    assert items[0]["line"] == 1
    assert items[0]["column"] is None
    assert items[0]["message"].startswith("the header matches no import template")


def test_abort_notice_comes_first_and_messages_are_not_repeated(rostering: ApiUser) -> None:
    ref = str(rostering.upload(BAD_USERS, onError="abort")["referenceId"])
    run_jobs(rostering.runtime)
    detail = _get(rostering, f"/api/v1/imports/{ref}")
    items = detail["messagePage"]["items"]  # type: ignore[index]
    assert detail["status"] == "failed"
    assert items[0]["line"] is None
    assert items[0]["message"].startswith("onError=abort: 3 row(s) failed validation")
    assert len(items) == detail["messageCount"] == 5


def test_detail_of_unknown_or_other_tenants_import_is_404(
    app_client: TestClient, app_runtime: Runtime, rostering: ApiUser
) -> None:
    ref = str(rostering.upload(GOOD_USERS)["referenceId"])
    other = ApiUser.create(app_client, app_runtime, tenant="district-b")
    for user, path in [
        (other, f"/api/v1/imports/{ref}"),
        (other, f"/api/v1/imports/{ref}/download"),
        (rostering, "/api/v1/imports/00000000-0000-0000-0000-000000000000"),
        (rostering, "/api/v1/imports/not-a-uuid"),
    ]:
        response = app_client.get(path, headers=user.headers)
        assert (response.status_code, response.json()) == (404, NOT_FOUND)


# -- result -----------------------------------------------------------------------


def test_download_is_409_while_pending_then_a_named_signed_result(rostering: ApiUser) -> None:
    ref = str(rostering.upload(BAD_USERS, filename="district users.csv")["referenceId"])
    pending = rostering.http.get(f"/api/v1/imports/{ref}/download", headers=rostering.headers)
    assert pending.status_code == 409
    assert pending.json()["message"].startswith("The import is still pending: poll GET /api/v1/imports/")
    run_jobs(rostering.runtime)
    link = _get(rostering, f"/api/v1/imports/{ref}/download")
    url = str(link["signedUrl"]).split("http://testserver", 1)[1]
    response = rostering.http.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="district users-result.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["line"], r["outcome"]) for r in rows] == [
        ("2", "created"),
        ("3", "failed"),
        ("4", "failed"),
        ("5", "failed"),
    ]
    assert "user_password" not in rows[0]


def test_limits_tell_the_upload_size_before_a_byte_is_sent(
    app_client: TestClient, app_runtime: Runtime
) -> None:
    response = app_client.get("/api/v1/limits")
    settings = app_runtime.settings
    assert response.json() == {
        "maxUploadBytes": settings.max_upload_bytes,
        "batchesMaxUploadBytes": settings.batches_max_upload_bytes,
        "filesMaxUploadBytes": settings.files_max_upload_bytes,
    }


def test_a_file_rejected_at_its_header_keeps_the_lines_it_never_reached(rostering: ApiUser) -> None:
    ref = str(rostering.upload("nothing,we,know\n1,2,3\n4,5,6\n")["referenceId"])
    run_jobs(rostering.runtime)
    detail = _get(rostering, f"/api/v1/imports/{ref}")
    assert (detail["status"], detail["fileLine"], detail["totalLines"]) == ("failed", 1, 3)
