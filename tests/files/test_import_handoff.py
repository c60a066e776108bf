"""importType: a CSV document is also handed to the importer, as a normal import of the core."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from loadbay.models import ImportJob, RosterUser
from loadbay.runtime import Runtime
from tests.conftest import ApiUser, make_settings, run_jobs
from tests.files.conftest import PNG_BYTES, FilesUser, row_counts, stored_objects
from tests.files.formdata import FilePart

USERS_CSV = (
    b"user_username,user_name,user_password,user_organizationId\nalice,Alice Liddell,Wonder#land1,root\n"
)
BOTH_SCOPES = ("files", "rostering")


@pytest.fixture
def importer(app_client: TestClient, app_runtime: Runtime) -> FilesUser:
    return FilesUser.create(app_client, app_runtime, scopes=BOTH_SCOPES)


def _status(user: FilesUser, reference_id: str) -> tuple[int, dict[str, object]]:
    response = user.http.get(
        f"/api/v1/status/{reference_id}", headers={"Authorization": f"Bearer {user.token}"}
    )
    return response.status_code, response.json()


def test_import_type_queues_an_import_the_core_endpoints_report_on(importer: FilesUser) -> None:
    answer = importer.upload(USERS_CSV, filename="users.csv", documentType="CSV", importType="users")
    reference_id = str(answer["referenceId"])
    assert answer["documentType"] == "CSV"
    file_key = next(key for key in stored_objects(importer.runtime) if key.startswith("files/"))
    # The importer has its own copy, so the two live independently.
    assert stored_objects(importer.runtime) == sorted([file_key, f"import-csv/pending/{reference_id}.csv"])

    status, body = _status(importer, reference_id)
    assert status == 200
    assert body["result"]["status"] == "pending"  # type: ignore[index]
    assert run_jobs(importer.runtime) == 1
    status, body = _status(importer, reference_id)
    result = body["result"]
    assert (result["status"], result["fileLine"], result["messages"]) == ("processed", 2, [])  # type: ignore[index]
    assert result["fileName"] == "users.csv"  # type: ignore[index]
    with importer.runtime.sessions() as session:
        users = session.query(RosterUser).all()
        assert [u.username for u in users] == ["alice"]
        assert str(users[0].password_hash).startswith("$argon2id$")

    download = importer.http.get(
        f"/api/v1/download/{reference_id}", headers={"Authorization": f"Bearer {importer.token}"}
    )
    assert download.status_code == 200
    result_csv = importer.http.get(download.json()["signedUrl"].removeprefix("http://testserver"))
    assert result_csv.text.splitlines()[1].startswith("2,created,alice")

    # The worker filed its copy; the document's metadata names the import.
    assert f"import-csv/processed/{reference_id}.csv" in stored_objects(importer.runtime)
    meta = importer.get(f"/accounts/{importer.account_id}/files/{answer['id']}").json()
    assert meta["referenceId"] == reference_id


def test_the_import_knows_its_total_lines_before_it_starts(importer: FilesUser) -> None:
    # UTF-16 with a quoted cell over two lines and no final newline: four physical lines.
    content = (
        'user_username,user_name,user_organizationId\r\nalice,"Alice\r\nLiddell",root\r\nbob,Bob,root'
    ).encode("utf-16")
    answer = importer.upload(content, filename="users.csv", documentType="CSV", importType="users")
    reference_id = str(answer["referenceId"])
    status, body = _status(importer, reference_id)
    assert (status, body["result"]["status"], body["result"]["totalLines"]) == (200, "pending", 4)  # type: ignore[index]
    run_jobs(importer.runtime)
    status, body = _status(importer, reference_id)
    assert (body["result"]["status"], body["result"]["totalLines"]) == ("processed", 4)  # type: ignore[index]


def test_the_stored_document_keeps_no_clear_password(importer: FilesUser) -> None:
    answer = importer.upload(USERS_CSV, filename="users.csv", importType="users")
    blanked = b"user_username,user_name,user_password,user_organizationId\r\nalice,Alice Liddell,,root\r\n"
    [file_key] = [key for key in stored_objects(importer.runtime) if key.startswith("files/")]
    assert (importer.runtime.settings.data_dir / "objects" / file_key).read_bytes() == blanked
    assert (answer["size"], answer["sha256"]) == (len(blanked), hashlib.sha256(blanked).hexdigest())
    assert answer["contentType"] == "text/csv; charset=utf-8"
    assert answer["warnings"] == [
        "user_password blanked in the stored document: Loadbay keeps no clear passwords. The import "
        "received the file as sent; size and sha256 describe the stored document."
    ]
    # The import got the bytes as sent, and describes them.
    reference_id = str(answer["referenceId"])
    with importer.runtime.sessions() as session:
        job = session.get(ImportJob, reference_id)
        assert job is not None
        assert (job.size_bytes, job.sha256) == (len(USERS_CSV), hashlib.sha256(USERS_CSV).hexdigest())
        # The import runs as the type asked for, not one detected from the header.
        assert job.options == {"scope": "rostering", "import_type": "users"}
    pending = importer.runtime.settings.data_dir / "objects" / f"import-csv/pending/{reference_id}.csv"
    assert pending.read_bytes() == USERS_CSV


def test_a_file_without_secret_columns_is_kept_exactly_as_sent(importer: FilesUser) -> None:
    content = b"user_username;user_name;user_organizationId\nalice;Alice;root\n"
    answer = importer.upload(content, importType="users")
    assert (answer["sha256"], answer["warnings"]) == (hashlib.sha256(content).hexdigest(), [])
    [file_key] = [key for key in stored_objects(importer.runtime) if key.startswith("files/")]
    assert (importer.runtime.settings.data_dir / "objects" / file_key).read_bytes() == content


def test_another_tenant_cannot_see_the_import(importer: FilesUser) -> None:
    reference_id = str(importer.upload(USERS_CSV, importType="users")["referenceId"])
    stranger = ApiUser.create(importer.http, importer.runtime, tenant="district-b")
    response = stranger.http.get(f"/api/v1/status/{reference_id}", headers=stranger.headers)
    assert response.status_code == 404


def test_without_import_type_nothing_is_imported(importer: FilesUser) -> None:
    answer = importer.upload(USERS_CSV, documentType="CSV")
    assert answer["referenceId"] is None
    assert row_counts(importer.runtime) == (1, 0)


def test_a_files_only_client_cannot_import(files_user: FilesUser) -> None:
    response = files_user.post(
        [
            ("accountId", files_user.account_id),
            ("file", FilePart("u.csv", USERS_CSV)),
            ("importType", "users"),
        ]
    )
    assert response.status_code == 403
    assert response.json() == {
        "message": "Insufficient scope: importType hands the file to the importer, which needs the "
        "'rostering' scope as well as 'files'. Ask for a client with both."
    }
    assert stored_objects(files_user.runtime) == []
    assert row_counts(files_user.runtime) == (0, 0)


def test_a_refused_import_stores_nothing(importer: FilesUser) -> None:
    cases = [
        (USERS_CSV, "payments", "Unknown importType 'payments': choose one of "),
        (PNG_BYTES, "users", "importType needs a CSV text file (UTF-8 or UTF-16); this file is image/png."),
        (
            b"name,amount\nwidget,3\n",
            "users",
            "The file does not fit importType 'users': unknown column(s) name, amount",
        ),
        (
            b"user_username,group_description\nalice,x\n",
            "users",
            "The file does not fit importType 'users': group_description is a column of groups, "
            "sessions-with-delivery-in-new-groups, not of users. Expected columns: ",
        ),
        (b"\nalice\n", "users", "The file cannot be imported: Line 1: the header row is blank"),
        # A password column that cannot be blanked reliably: refused rather than kept in clear.
        (
            b'user_username,user_password,user_organizationId\nalice,"Wonder#land1,root\n',
            "users",
            "The file cannot be imported: Line 2: malformed CSV",
        ),
    ]
    for content, import_type, message in cases:
        response = importer.post(
            [
                ("accountId", importer.account_id),
                ("file", FilePart("u.csv", content)),
                ("importType", import_type),
            ]
        )
        assert response.status_code == 400, message
        assert response.json()["message"].startswith(message)
    assert stored_objects(importer.runtime) == []
    assert row_counts(importer.runtime) == (0, 0)


@pytest.fixture
def small_import_limit(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[FilesUser]:
    from loadbay.app import create_app
    from loadbay.migrate import upgrade

    settings = make_settings(tmp_path_factory.mktemp("limit") / "data", database_url, max_upload_bytes=1024)
    app = create_app(settings, workers=0)
    upgrade(app.state.runtime.engine)
    with TestClient(app) as http:
        yield FilesUser.create(http, app.state.runtime, scopes=BOTH_SCOPES)


def test_the_core_upload_limit_holds_for_a_file_handed_to_the_importer(small_import_limit: FilesUser) -> None:
    big = USERS_CSV + b"".join(f"user{i},U,Wonder#land1,root\n".encode() for i in range(100))
    response = small_import_limit.post(
        [
            ("accountId", small_import_limit.account_id),
            ("file", FilePart("u.csv", big)),
            ("importType", "users"),
        ]
    )
    assert response.status_code == 413
    assert response.json() == {
        "message": "File for an import too large: the limit is 1024 bytes (1 KB). Send a smaller file."
    }
    assert stored_objects(small_import_limit.runtime) == []
    # The same file without importType is only a document, and within the files limit.
    assert small_import_limit.upload(big)["size"] == len(big)


def test_a_failed_insert_leaves_neither_object(importer: FilesUser) -> None:
    # A real database failure after both objects were written: the files table is away.
    with importer.runtime.engine.begin() as connection:
        connection.execute(text("ALTER TABLE files RENAME TO files_away"))
    try:
        response = importer.post(
            [
                ("accountId", importer.account_id),
                ("file", FilePart("u.csv", USERS_CSV)),
                ("importType", "users"),
            ]
        )
    finally:
        with importer.runtime.engine.begin() as connection:
            connection.execute(text("ALTER TABLE files_away RENAME TO files"))
    assert response.status_code in (500, 503)
    assert stored_objects(importer.runtime) == []
    assert row_counts(importer.runtime) == (0, 0)
