"""POST /files/v1/{clientId}/upload_files: the seed's request and every rule it states."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from loadbay.runtime import Runtime
from tests.conftest import make_settings, new_client, token_for
from tests.files.conftest import (
    CSV_BYTES,
    PNG_BYTES,
    FilesUser,
    new_account,
    row_counts,
    stored_objects,
)
from tests.files.formdata import FilePart, Part, node_form

ACCOUNT_NOT_FOUND = {
    "message": "Account not found, or this client is not authorized for it: check the accountId "
    "and ask your administrator for a grant."
}


def assert_nothing_stored(runtime: Runtime) -> None:
    assert stored_objects(runtime) == []
    assert row_counts(runtime) == (0, 0)


# -- the seed's request ---------------------------------------------------------------


def test_seed_request_with_the_bare_token_stores_the_file(files_user: FilesUser) -> None:
    answer = files_user.upload(CSV_BYTES, filename="file.ext")
    file_id = str(answer["id"])
    uuid.UUID(file_id)
    assert answer == {
        "id": file_id,
        "accountId": files_user.account_id,
        "documentType": None,
        "fileName": "file.ext",
        "size": len(CSV_BYTES),
        "contentType": "text/csv; charset=utf-8",
        "sha256": hashlib.sha256(CSV_BYTES).hexdigest(),
        "uploadedAt": answer["uploadedAt"],
        "referenceId": None,
        "warnings": [],
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", str(answer["uploadedAt"]))
    # The key is generated from ids; the client's file name is nowhere in it.
    keys = stored_objects(files_user.runtime)
    assert len(keys) == 1
    assert re.fullmatch(rf"files/\d+/{file_id}", keys[0])
    assert (files_user.runtime.settings.data_dir / "objects" / keys[0]).read_bytes() == CSV_BYTES


def test_bearer_token_works_too(files_user: FilesUser) -> None:
    response = files_user.post(
        [("accountId", files_user.account_id), ("file", FilePart("a.csv", CSV_BYTES))],
        authorization=f"Bearer {files_user.token}",
    )
    assert response.status_code == 200, response.text


def test_known_document_types_are_stored_as_given(files_user: FilesUser) -> None:
    for document_type in ("Invoice", "CSV", "Document"):
        answer = files_user.upload(documentType=document_type)
        assert (answer["documentType"], answer["warnings"]) == (document_type, [])
        fetched = files_user.get(f"/accounts/{files_user.account_id}/files/{answer['id']}").json()
        assert fetched["documentType"] == document_type


def test_other_document_types_upload_the_file_and_leave_the_type_unset(files_user: FilesUser) -> None:
    others = ("invoice", "INVOICE", "Receipt", "csv")
    for document_type in others:
        answer = files_user.upload(documentType=document_type)
        assert answer["documentType"] is None
        assert answer["warnings"] == [
            f"documentType '{document_type}' is not one of Invoice, CSV, Document (case-sensitive): "
            "the file was uploaded and its type left unset."
        ]
    assert len(stored_objects(files_user.runtime)) == len(others)


def test_an_empty_document_type_is_no_type_and_no_warning(files_user: FilesUser) -> None:
    answer = files_user.upload(documentType="")
    assert (answer["documentType"], answer["warnings"]) == (None, [])


def test_fields_may_come_in_any_order(files_user: FilesUser) -> None:
    response = files_user.post(
        [
            ("documentType", "Invoice"),
            ("file", FilePart("a.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")),
            ("accountId", files_user.account_id),
        ]
    )
    assert response.status_code == 200, response.text
    assert response.json()["documentType"] == "Invoice"
    assert response.json()["contentType"] == "application/pdf"


# -- exactly one file -----------------------------------------------------------------


def test_two_file_parts_are_refused_and_nothing_is_stored(files_user: FilesUser) -> None:
    for second_name in ("file", "attachment"):
        response = files_user.post(
            [
                ("accountId", files_user.account_id),
                ("file", FilePart("a.csv", CSV_BYTES)),
                (second_name, FilePart("b.csv", CSV_BYTES)),
                ("documentType", "CSV"),
            ]
        )
        assert response.status_code == 400
        assert response.json() == {
            "message": "Send exactly one file per request: this one has more than one file part. "
            "Nothing was stored."
        }
    assert_nothing_stored(files_user.runtime)


def test_no_file_is_refused(files_user: FilesUser) -> None:
    response = files_user.post([("accountId", files_user.account_id), ("documentType", "CSV")])
    assert response.status_code == 400
    assert response.json() == {
        "message": "Missing file: send the document as multipart/form-data in a field named 'file'."
    }


def test_a_file_in_another_field_is_refused(files_user: FilesUser) -> None:
    response = files_user.post([("accountId", files_user.account_id), ("document", FilePart("a.csv", b"x"))])
    assert response.status_code == 400
    assert "named 'file'" in response.json()["message"]
    assert "'document'" in response.json()["message"]
    assert_nothing_stored(files_user.runtime)


def test_a_body_that_is_not_multipart_is_refused(files_user: FilesUser) -> None:
    response = files_user.http.post(
        f"{files_user.base}/upload_files",
        json={"accountId": files_user.account_id},
        headers={"Authorization": files_user.token},
    )
    assert response.status_code == 400
    assert "multipart/form-data" in response.json()["message"]


def test_an_empty_file_is_refused(files_user: FilesUser) -> None:
    response = files_user.post([("accountId", files_user.account_id), ("file", FilePart("a.csv", b""))])
    assert response.status_code == 400
    assert response.json() == {"message": "The file is empty: there is nothing to store."}
    assert_nothing_stored(files_user.runtime)


def test_a_field_sent_twice_is_refused(files_user: FilesUser) -> None:
    response = files_user.post(
        [("accountId", files_user.account_id), ("accountId", "acc_other"), ("file", FilePart("a.csv", b"x"))]
    )
    assert response.status_code == 400
    assert response.json() == {"message": "The form field 'accountId' appears more than once; send it once."}
    assert_nothing_stored(files_user.runtime)


def test_a_truncated_body_is_refused_and_nothing_is_stored(files_user: FilesUser) -> None:
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
        + CSV_BYTES
        + b'\r\n--XyZ\r\nContent-Disposition: form-data; name="accountId"\r\n\r\nacc_'
    )
    response = files_user.http.post(
        f"{files_user.base}/upload_files",
        content=body,
        headers={"Authorization": files_user.token, "Content-Type": "multipart/form-data; boundary=XyZ"},
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("The upload could not be read")
    assert_nothing_stored(files_user.runtime)


# -- the account ----------------------------------------------------------------------


def test_missing_account_id_is_refused_and_nothing_is_stored(files_user: FilesUser) -> None:
    response = files_user.post([("file", FilePart("a.csv", CSV_BYTES)), ("documentType", "CSV")])
    assert response.status_code == 400
    assert response.json() == {
        "message": "Missing accountId: send it as a multipart/form-data field named 'accountId'."
    }
    assert_nothing_stored(files_user.runtime)


def test_unknown_other_tenants_and_ungranted_accounts_get_the_same_404(files_user: FilesUser) -> None:
    runtime = files_user.runtime
    ungranted = new_account(runtime, tenant="district-a", name="Not granted")
    other_client = new_client(runtime, tenant="district-b", scopes=("files",))
    other_tenants = new_account(runtime, tenant="district-b", name="Acme", grant_to=(other_client.client_id,))
    for account_id in ("acc_000000000000000000000000", ungranted, other_tenants, "x" * 500):
        file_part = ("file", FilePart("a.csv", CSV_BYTES))
        account_part = ("accountId", account_id)
        # The seed's order (refused before the file is read), and the file first (stored, then removed).
        for parts in ([account_part, file_part], [file_part, account_part]):
            response = files_user.post(parts)
            assert (response.status_code, response.json()) == (404, ACCOUNT_NOT_FOUND), account_id
    assert_nothing_stored(runtime)


def test_a_revoked_grant_stops_uploads(files_user: FilesUser) -> None:
    from loadbay.db import transaction
    from loadbay.files.accounts import revoke_grant

    files_user.upload()
    with transaction(files_user.runtime.write_sessions) as session:
        assert revoke_grant(session, client_id=files_user.client_id, account_id=files_user.account_id)
    response = files_user.post([("accountId", files_user.account_id), ("file", FilePart("a.csv", b"x"))])
    assert (response.status_code, response.json()) == (404, ACCOUNT_NOT_FOUND)


def test_another_client_of_the_tenant_granted_the_account_shares_its_files(files_user: FilesUser) -> None:
    from loadbay.db import transaction
    from loadbay.files.accounts import grant_account

    first = files_user.upload()
    colleague = FilesUser.create(files_user.http, files_user.runtime, account="Other")
    with transaction(files_user.runtime.write_sessions) as session:
        grant_account(session, client_id=colleague.client_id, account_id=files_user.account_id)
    listed = colleague.get(f"/accounts/{files_user.account_id}/files").json()["files"]
    assert [f["id"] for f in listed] == [first["id"]]


# -- the client in the path, the token ------------------------------------------------


def test_a_client_id_that_is_not_the_callers_is_403_and_nothing_is_stored(files_user: FilesUser) -> None:
    real_other = new_client(files_user.runtime, tenant="district-a", scopes=("files",)).client_id
    for path_client in ("someone-else", real_other):
        response = files_user.post(
            [("accountId", files_user.account_id), ("file", FilePart("a.csv", CSV_BYTES))],
            client_id=path_client,
        )
        assert response.status_code == 403
        assert response.json() == {
            "message": "The clientId in the path is not the client this token was issued to: use your own client_id."
        }
    assert_nothing_stored(files_user.runtime)


def test_missing_or_bad_token_is_401_access_denied(files_user: FilesUser) -> None:
    for authorization in ("", "not-a-token", "Bearer", "Basic abc"):
        response = files_user.http.post(
            f"{files_user.base}/upload_files",
            files={"file": ("a.csv", CSV_BYTES)},
            data={"accountId": files_user.account_id},
            headers={"Authorization": authorization} if authorization else {},
        )
        assert (response.status_code, response.text) == (401, "Access Denied"), authorization
    assert_nothing_stored(files_user.runtime)


def test_a_token_without_the_files_scope_is_403(app_client: TestClient, app_runtime: Runtime) -> None:
    credentials = new_client(app_runtime, scopes=("rostering",))
    account_id = new_account(app_runtime, tenant="district-a", name="Acme", grant_to=(credentials.client_id,))
    user = FilesUser(app_client, app_runtime, credentials, token_for(app_client, credentials), account_id)
    response = user.post([("accountId", account_id), ("file", FilePart("a.csv", CSV_BYTES))])
    assert (response.status_code, response.json()) == (403, {"message": "Insufficient scope"})


# -- what is stored -------------------------------------------------------------------


def test_content_type_comes_from_the_bytes_not_the_request(files_user: FilesUser) -> None:
    response = files_user.post(
        [
            ("accountId", files_user.account_id),
            ("file", FilePart("invoice.pdf", PNG_BYTES, content_type="application/pdf")),
        ]
    )
    assert response.json()["contentType"] == "image/png"
    html = files_user.upload(b"<html><script>alert(1)</script></html>", filename="page.html")
    assert html["contentType"] == "text/plain; charset=utf-8"


def test_the_file_name_is_cleaned_metadata(files_user: FilesUser) -> None:
    cases = [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\report 2026.pdf", "report 2026.pdf"),
        ("in\x07voice\x1b.csv", "invoice.csv"),
        ("Ünïcødé facture.pdf", "Ünïcødé facture.pdf"),
        ("dir/", None),
    ]
    ids = []
    for sent, kept in cases:
        answer = files_user.upload(filename=sent)
        assert answer["fileName"] == kept, sent
        ids.append(str(answer["id"]))
    # Keys are made of ids only.
    assert sorted(key.rsplit("/", 1)[1] for key in stored_objects(files_user.runtime)) == sorted(ids)


# -- the size limit -------------------------------------------------------------------


@pytest.fixture
def small_limit(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[FilesUser]:
    from loadbay.app import create_app
    from loadbay.migrate import upgrade

    settings = make_settings(
        tmp_path_factory.mktemp("limit") / "data", database_url, files_max_upload_bytes=100 * 1024
    )
    app = create_app(settings, workers=0)
    upgrade(app.state.runtime.engine)
    with TestClient(app) as http:
        yield FilesUser.create(http, app.state.runtime)


def test_a_file_at_the_limit_is_accepted(small_limit: FilesUser) -> None:
    answer = small_limit.upload(b"a" * (100 * 1024))
    assert answer["size"] == 100 * 1024


def test_over_the_limit_is_413_and_nothing_is_stored(small_limit: FilesUser) -> None:
    response = small_limit.post(
        [("accountId", small_limit.account_id), ("file", FilePart("big.bin", b"a" * (100 * 1024 + 1)))]
    )
    assert response.status_code == 413
    assert response.json() == {
        "message": "File too large: the limit is 102400 bytes (100 KB). Send a smaller file."
    }
    assert_nothing_stored(small_limit.runtime)


def test_the_limit_holds_while_streaming_without_a_content_length(small_limit: FilesUser) -> None:
    from tests.files.formdata import node_form

    body, content_type = node_form(
        [("accountId", small_limit.account_id), ("file", FilePart("big.bin", b"a" * (300 * 1024)))]
    )

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 16 * 1024):
            yield body[start : start + 16 * 1024]

    response = small_limit.http.post(
        f"{small_limit.base}/upload_files",
        content=chunks(),
        headers={"Content-Type": content_type, "Authorization": small_limit.token},
    )
    assert response.status_code == 413
    assert_nothing_stored(small_limit.runtime)


def test_the_default_limit_is_25_mb() -> None:
    from loadbay.config import Settings

    assert Settings.model_fields["files_max_upload_bytes"].default == 25 * 1024 * 1024


# -- Idempotency-Key --------------------------------------------------------------------


def test_the_same_idempotency_key_and_file_answer_as_the_first_upload(files_user: FilesUser) -> None:
    def post(content: bytes) -> tuple[int, dict[str, object], str]:
        parts: list[Part] = [("accountId", files_user.account_id), ("file", FilePart("file.csv", content))]
        body, content_type = node_form(parts)
        response = files_user.http.post(
            f"/files/v1/{files_user.client_id}/upload_files",
            content=body,
            headers={
                "Content-Type": content_type,
                "Authorization": files_user.token,
                "Idempotency-Key": "scan-0042",
            },
        )
        return response.status_code, response.json(), response.headers.get("Idempotent-Replayed", "")

    code, first, replayed = post(CSV_BYTES)
    assert (code, replayed) == (200, "")
    assert post(CSV_BYTES) == (200, first, "true")
    assert len(stored_objects(files_user.runtime)) == 1
    code, refused, _ = post(CSV_BYTES + b"x,y\n")
    assert code == 422
    assert "Idempotency-Key 'scan-0042' was used for another file" in str(refused["message"])
    assert len(stored_objects(files_user.runtime)) == 1
    assert row_counts(files_user.runtime) == (1, 0)


def test_a_boundary_the_parser_cannot_take_is_a_400_and_nothing_is_stored(files_user: FilesUser) -> None:
    boundary = "b" * 300
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'.encode()
        + CSV_BYTES
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = files_user.http.post(
        f"{files_user.base}/upload_files",
        content=body,
        headers={
            "Authorization": files_user.token,
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("The multipart boundary must be 1 to 256 characters long")
    assert_nothing_stored(files_user.runtime)


def test_too_many_uploads_is_a_429_with_retry_after_and_nothing_stored(files_user: FilesUser) -> None:
    files_user.runtime.settings.uploads_per_minute = 1
    assert (
        files_user.post(
            [("accountId", files_user.account_id), ("file", FilePart("a.csv", CSV_BYTES))]
        ).status_code
        == 200
    )
    response = files_user.post([("accountId", files_user.account_id), ("file", FilePart("b.csv", CSV_BYTES))])
    assert response.status_code == 429
    assert response.json()["message"].startswith("Too many uploads: this client may send 1 a minute")
    assert int(response.headers["Retry-After"]) >= 1
