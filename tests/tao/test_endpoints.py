"""Seeds 000-002 as an integration sees them: every documented response, both path spellings."""

import csv
import io
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from loadbay.models import ImportJob
from loadbay.runtime import Runtime
from loadbay.tao.options import ACCEPTED, OPTIONS
from tests.conftest import ApiUser, counts, run_jobs
from tests.files.formdata import FilePart, Part, node_form

USERS_CSV = (
    "user_username,user_name,user_password,user_organizationId\nalice,Alice Liddell,Wonder#land1,root\n"
)
NOT_FOUND = {"message": "Reference ID not found. File not found in pending bucket."}
TAKES = (
    "The upload takes the multipart field 'file' and the options dryRun, onError, mode, changeThreshold, "
    "importType (form fields or query parameters), and nothing else."
)


def _stored_objects(runtime: Runtime) -> list[str]:
    root = runtime.settings.data_dir / "objects"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _import_count(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(ImportJob)) or 0


# -- upload (seed 000) ----------------------------------------------------------------


def test_upload_answers_the_seed_json(rostering: ApiUser) -> None:
    result = rostering.upload(USERS_CSV)
    reference_id = result["referenceId"]
    assert result == {
        "message": f"File uploaded to import-csv/pending/{reference_id}.csv",
        "referenceId": reference_id,
    }
    assert _stored_objects(rostering.runtime) == [f"import-csv/pending/{reference_id}.csv"]


def test_upload_stores_the_bytes_exactly(rostering: ApiUser) -> None:
    content = "\ufeffuser_username;user_organizationId\r\nbob;root\r\n".encode()
    reference_id = rostering.upload(content)["referenceId"]
    stored = rostering.runtime.settings.data_dir / "objects" / f"import-csv/pending/{reference_id}.csv"
    assert stored.read_bytes() == content


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer not-a-token", "Basic abc"])
def test_missing_or_bad_token_is_401_plain_access_denied(app_client: TestClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = app_client.post("/api/v1/upload", headers=headers, files={"file": ("u.csv", b"a\n1\n")})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "Access Denied"


def test_expired_token_is_401(app_client: TestClient, app_runtime: Runtime, rostering: ApiUser) -> None:
    expired = app_runtime.signer.issue(
        client_id=rostering.credentials.client_id, tenant_id=1, scopes=["rostering"], ttl_seconds=-10
    )
    response = app_client.get(
        "/api/v1/status/00000000-0000-0000-0000-000000000000", headers={"Authorization": f"Bearer {expired}"}
    )
    assert response.status_code == 401
    assert response.text == "Access Denied"


def test_revoked_clients_token_stops_at_once(rostering: ApiUser) -> None:
    from loadbay.auth.service import revoke_client
    from loadbay.db import transaction

    reference_id = rostering.upload(USERS_CSV)["referenceId"]
    with transaction(rostering.runtime.write_sessions) as session:
        revoke_client(session, client_id=rostering.credentials.client_id)
    response = rostering.http.get(f"/api/v1/status/{reference_id}", headers=rostering.headers)
    assert response.status_code == 401
    assert response.text == "Access Denied"


def test_token_without_rostering_scope_is_403(app_client: TestClient, app_runtime: Runtime) -> None:
    files_user = ApiUser.create(app_client, app_runtime, scopes=("files",))
    response = app_client.post(
        "/api/v1/upload", headers=files_user.headers, files={"file": ("u.csv", USERS_CSV.encode())}
    )
    assert response.status_code == 403
    assert response.json() == {"message": "Insufficient scope"}
    for path in ("/api/v1/status/x", "/api/v1/download/x"):
        assert app_client.get(path, headers=files_user.headers).json() == {"message": "Insufficient scope"}


def test_missing_file_field_is_400(rostering: ApiUser) -> None:
    response = rostering.http.post("/api/v1/upload", headers=rostering.headers, data={"other": "x"})
    assert response.status_code == 400
    assert "file" in response.json()["message"]
    wrong_field = rostering.http.post(
        "/api/v1/upload", headers=rostering.headers, files={"upload": ("u.csv", USERS_CSV.encode())}
    )
    assert wrong_field.status_code == 400
    assert "'file'" in wrong_field.json()["message"]


def test_not_multipart_is_400(rostering: ApiUser) -> None:
    response = rostering.http.post(
        "/api/v1/upload", headers={**rostering.headers, "Content-Type": "text/csv"}, content=USERS_CSV
    )
    assert response.status_code == 400
    assert "multipart/form-data" in response.json()["message"]


@pytest.mark.parametrize(
    ("filename", "content", "problem"),
    [
        ("users.xlsx", USERS_CSV.encode(), ".csv"),
        ("users.csv", b"GIF89a\x00\x00binary", "NUL"),
        ("users.csv", b"user_username\n\xff\xfe\xfa\n", "CSV UTF-8"),
        ("users.csv", b"", "empty"),
        ("users.csv", b"\n\nalice\n", "header"),
    ],
)
def test_not_a_csv_is_400_and_leaves_nothing(
    rostering: ApiUser, filename: str, content: bytes, problem: str
) -> None:
    response = rostering.http.post(
        "/api/v1/upload", headers=rostering.headers, files={"file": (filename, content, "text/csv")}
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("Invalid file type")
    assert problem in response.json()["message"]
    assert _stored_objects(rostering.runtime) == []
    assert _import_count(rostering.runtime) == 0


def test_over_the_limit_is_413_and_leaves_nothing(tmp_path: object, database_url: str) -> None:
    from loadbay.app import create_app
    from tests.conftest import make_settings

    settings = make_settings(tmp_path / "data", database_url, max_upload_bytes=1000)  # type: ignore[operator]
    app = create_app(settings, workers=0)
    from loadbay.migrate import upgrade

    upgrade(app.state.runtime.engine)
    with TestClient(app) as http:
        user = ApiUser.create(http, app.state.runtime)
        big = "user_username,user_organizationId\n" + "".join(f"user{i},root\n" for i in range(200))
        response = http.post("/api/v1/upload", headers=user.headers, files={"file": ("u.csv", big.encode())})
        assert response.status_code == 413
        assert "1000 bytes" in response.json()["message"]

        def chunks() -> Iterator[bytes]:
            # No Content-Length: the limit must hold while streaming, not only from the header.
            boundary = b"--xyz\r\n"
            yield boundary + b'Content-Disposition: form-data; name="file"; filename="u.csv"\r\n\r\n'
            yield big.encode()
            yield b"\r\n--xyz--\r\n"

        streamed = http.post(
            "/api/v1/upload",
            headers={**user.headers, "Content-Type": "multipart/form-data; boundary=xyz"},
            content=chunks(),
        )
        assert streamed.status_code == 413
        assert _stored_objects(app.state.runtime) == []
        assert _import_count(app.state.runtime) == 0


def test_storage_failure_is_500_upload_error(rostering: ApiUser) -> None:
    objects = rostering.runtime.settings.data_dir / "objects"
    # A file where the pending folder should be: the store cannot write there.
    (objects / "import-csv").mkdir(parents=True, exist_ok=True)
    (objects / "import-csv" / "pending").write_text("in the way")
    response = rostering.http.post(
        "/api/v1/upload", headers=rostering.headers, files={"file": ("u.csv", USERS_CSV.encode())}
    )
    assert response.status_code == 500
    assert response.json()["message"].startswith("Upload error: ")
    assert _import_count(rostering.runtime) == 0


# -- status (seed 001) ----------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["/api/v1/status", "/api/v1/upload/api/v1/status"])
def test_status_pending_then_processed_on_both_spellings(rostering: ApiUser, prefix: str) -> None:
    reference_id = rostering.upload(USERS_CSV)["referenceId"]
    pending = rostering.http.get(f"{prefix}/{reference_id}", headers=rostering.headers).json()["result"]
    assert pending["status"] == "pending"
    assert pending["messages"] == []
    run_jobs(rostering.runtime)
    done = rostering.http.get(f"{prefix}/{reference_id}", headers=rostering.headers).json()["result"]
    assert done["status"] == "processed"
    # A header plus one user, fully processed, reads fileLine: 2 (seed 001's example).
    assert done["fileLine"] == 2
    assert done["messages"] == []
    assert done["counts"] == counts(created=1)
    assert done["importType"] == "users"
    assert done["totalLines"] == 2


@pytest.mark.parametrize("reference_id", ["00000000-0000-0000-0000-000000000000", "12345", "not a reference"])
def test_unknown_reference_is_404_with_the_seed_message(rostering: ApiUser, reference_id: str) -> None:
    for path in (f"/api/v1/status/{reference_id}", f"/api/v1/download/{reference_id}"):
        response = rostering.http.get(path, headers=rostering.headers)
        assert response.status_code == 404
        assert response.json() == NOT_FOUND


def test_another_tenants_reference_is_the_same_404(app_client: TestClient, app_runtime: Runtime) -> None:
    owner = ApiUser.create(app_client, app_runtime, tenant="district-a")
    stranger = ApiUser.create(app_client, app_runtime, tenant="district-b")
    reference_id = owner.upload(USERS_CSV)["referenceId"]
    run_jobs(app_runtime)
    for path in (f"/api/v1/status/{reference_id}", f"/api/v1/upload/api/v1/download/{reference_id}"):
        response = app_client.get(path, headers=stranger.headers)
        assert response.status_code == 404
        assert response.json() == NOT_FOUND
    assert owner.status(str(reference_id))["status"] == "processed"


# -- download (seed 002) --------------------------------------------------------------


def test_download_of_a_pending_import_is_409(rostering: ApiUser) -> None:
    reference_id = rostering.upload(USERS_CSV)["referenceId"]
    response = rostering.http.get(f"/api/v1/download/{reference_id}", headers=rostering.headers)
    assert response.status_code == 409
    assert "pending" in response.json()["message"]


@pytest.mark.parametrize("prefix", ["/api/v1/download", "/api/v1/upload/api/v1/download"])
def test_download_gives_a_signed_url_to_the_result(rostering: ApiUser, prefix: str) -> None:
    content = (
        "user_username,user_password,user_organizationId,user_name\n"
        'alice,Wonder#land1,root,=HYPERLINK("http://evil")\n'
        "bob,short,root,Bob\n"
    )
    reference_id = rostering.upload(content)["referenceId"]
    run_jobs(rostering.runtime)
    response = rostering.http.get(f"{prefix}/{reference_id}", headers=rostering.headers)
    assert response.status_code == 200
    signed_url = response.json()["signedUrl"]
    assert signed_url.startswith("http://testserver/signed/import-csv/results/")
    download = rostering.http.get(signed_url.removeprefix("http://testserver"))
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["x-content-type-options"] == "nosniff"
    rows = list(csv.reader(io.StringIO(download.text)))
    # The password column is left out; a formula is neutralised with a leading apostrophe.
    assert rows[0] == [
        "line",
        "outcome",
        "key",
        "messages",
        "user_username",
        "user_organizationId",
        "user_name",
    ]
    assert rows[1] == ["2", "created", "alice", "", "alice", "root", '\'=HYPERLINK("http://evil")']
    assert rows[2][:3] == ["3", "failed", "bob"]
    assert rows[2][3].startswith("user_password: must be at least 8 characters")
    assert rows[2][4:] == ["bob", "root", "Bob"]
    assert "Wonder#land1" not in download.text


def test_tampered_or_expired_signed_url_is_403(rostering: ApiUser) -> None:
    reference_id = rostering.upload(USERS_CSV)["referenceId"]
    run_jobs(rostering.runtime)
    signed_url = rostering.http.get(f"/api/v1/download/{reference_id}", headers=rostering.headers).json()[
        "signedUrl"
    ]
    path = signed_url.removeprefix("http://testserver")
    tampered_key = path.replace("/results/", "/processed/")
    assert rostering.http.get(tampered_key).status_code == 403
    tampered_signature = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert rostering.http.get(tampered_signature).status_code == 403
    expires = int(path.split("expires=")[1].split("&")[0])
    later = path.replace(f"expires={expires}", f"expires={expires + 3600}")
    assert rostering.http.get(later).status_code == 403
    expired_url = rostering.runtime.storage.signed_url(
        f"import-csv/results/{reference_id}.csv", ttl_seconds=-1
    ).removeprefix("http://testserver")
    response = rostering.http.get(expired_url)
    assert response.status_code == 403
    assert "expired" in response.json()["message"]
    assert time.time() > 0


def test_passwords_are_not_kept_in_the_stored_copy_after_processing(rostering: ApiUser) -> None:
    reference_id = rostering.upload(USERS_CSV)["referenceId"]
    run_jobs(rostering.runtime)
    objects = _stored_objects(rostering.runtime)
    assert f"import-csv/pending/{reference_id}.csv" not in objects
    assert f"import-csv/processed/{reference_id}.csv" in objects
    root = rostering.runtime.settings.data_dir / "objects"
    for name in objects:
        assert "Wonder#land1" not in (root / name).read_text()
    processed = (root / f"import-csv/processed/{reference_id}.csv").read_text()
    assert processed.splitlines() == [
        "user_username,user_name,user_password,user_organizationId",
        "alice,Alice Liddell,,root",
    ]


# -- importType (an option beyond the seeds) -------------------------------------------------


def test_import_type_binds_the_template(rostering: ApiUser) -> None:
    ok = rostering.import_file(USERS_CSV, importType="users")
    assert (ok["status"], ok["importType"]) == ("processed", "users")
    wrong = rostering.import_file(USERS_CSV, importType="groups")
    assert wrong["status"] == "failed"
    assert wrong["messages"][0].startswith("Line 1: the header does not fit groups: ")  # type: ignore[index]


def test_unknown_import_type_is_refused_and_nothing_is_kept(rostering: ApiUser) -> None:
    response = rostering.http.post(
        "/api/v1/upload",
        headers=rostering.headers,
        files={"file": ("users.csv", USERS_CSV.encode(), "text/csv")},
        data={"importType": "Transactions"},
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("importType must be one of organizations, ")
    assert _stored_objects(rostering.runtime) == []
    assert _import_count(rostering.runtime) == 0


@pytest.mark.parametrize("value", ["on", "2", "maybe"])
def test_a_dry_run_value_it_does_not_know_is_refused_and_nothing_is_kept(
    rostering: ApiUser, value: str
) -> None:
    # An HTML checkbox sends "on"; read as false it would write the rows of a file meant as a check.
    response = rostering.http.post(
        "/api/v1/upload",
        headers=rostering.headers,
        files={"file": ("users.csv", USERS_CSV.encode(), "text/csv")},
        data={"dryRun": value},
    )
    assert response.status_code == 400
    assert response.json() == {
        "message": f"dryRun must be one of true, false, 1, 0, yes, no (any case), not '{value}'."
    }
    assert _stored_objects(rostering.runtime) == []
    assert _import_count(rostering.runtime) == 0


@pytest.mark.parametrize("value", ["all", "stop", "true"])
def test_an_on_error_value_it_does_not_know_is_refused_and_nothing_is_kept(
    rostering: ApiUser, value: str
) -> None:
    # Read as the default it would write the good rows of a file meant to go all or nothing.
    response = rostering.http.post(
        "/api/v1/upload",
        headers=rostering.headers,
        files={"file": ("users.csv", USERS_CSV.encode(), "text/csv")},
        data={"onError": value},
    )
    assert response.status_code == 400
    assert response.json() == {
        "message": f"onError must be 'partial' (the default) or 'abort', not '{value}'."
    }
    assert _stored_objects(rostering.runtime) == []
    assert _import_count(rostering.runtime) == 0


@pytest.mark.parametrize(
    ("value", "dry"), [("TRUE", True), ("Yes", True), ("1", True), ("no", False), ("0", False)]
)
def test_dry_run_takes_its_spellings_in_any_case(rostering: ApiUser, value: str, dry: bool) -> None:
    reference_id = str(rostering.upload(USERS_CSV, dryRun=value)["referenceId"])
    detail = rostering.http.get(f"/api/v1/imports/{reference_id}", headers=rostering.headers).json()
    assert detail["dryRun"] is dry


# -- option names: an unknown one is refused, never ignored ------------------------------------


def _post_parts(api: ApiUser, parts: list[Part], query: str = "") -> tuple[int, str]:
    body, content_type = node_form(parts)
    response = api.http.post(
        f"/api/v1/upload{query}", headers={**api.headers, "Content-Type": content_type}, content=body
    )
    return response.status_code, response.json()["message"]


def _nothing_kept(api: ApiUser) -> None:
    assert _stored_objects(api.runtime) == []
    assert _import_count(api.runtime) == 0


@pytest.mark.parametrize("name", ["dryrun", "dry_run", "DryRun", "dry-run", "DRY_RUN"])
@pytest.mark.parametrize("file_first", [True, False])
def test_a_variant_of_a_known_field_name_is_refused_with_a_hint(
    rostering: ApiUser, name: str, file_first: bool
) -> None:
    # Ignored, dry_run=true would run a real import of a file sent only to be checked.
    file: Part = ("file", FilePart("users.csv", USERS_CSV.encode(), "text/csv"))
    option: Part = (name, "true")
    # After the file, the field is found once the file is stored: the stored copy goes again.
    status, message = _post_parts(rostering, [file, option] if file_first else [option, file])
    assert (status, message) == (400, f"Unknown form field '{name}': did you mean dryRun? {TAKES}")
    _nothing_kept(rostering)


def test_an_unknown_field_name_is_refused_and_named(rostering: ApiUser) -> None:
    status, message = _post_parts(
        rostering, [("file", FilePart("users.csv", USERS_CSV.encode(), "text/csv")), ("priority", "high")]
    )
    assert (status, message) == (400, f"Unknown form field 'priority'. {TAKES}")
    _nothing_kept(rostering)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?dry_run=true", f"Unknown query parameter 'dry_run': did you mean dryRun? {TAKES}"),
        ("?dryrun=1", f"Unknown query parameter 'dryrun': did you mean dryRun? {TAKES}"),
        ("?onerror=abort", f"Unknown query parameter 'onerror': did you mean onError? {TAKES}"),
        ("?verbose=1", f"Unknown query parameter 'verbose'. {TAKES}"),
        ("?file=users.csv", f"The file goes in the multipart field 'file'. {TAKES}"),
        (
            "?dryRun=true&dryRun=false",
            "dryRun is given twice in the query with different values ('true' and 'false'); give it once.",
        ),
    ],
)
def test_a_query_parameter_it_does_not_take_is_refused_before_the_body_is_read(
    rostering: ApiUser, query: str, message: str
) -> None:
    # The body is not even multipart: the query is judged before any of it is read.
    response = rostering.http.post(
        f"/api/v1/upload{query}", headers={**rostering.headers, "Content-Type": "text/csv"}, content=USERS_CSV
    )
    assert (response.status_code, response.json()) == (400, {"message": message})
    _nothing_kept(rostering)


def test_an_option_given_twice_with_two_values_is_refused(rostering: ApiUser) -> None:
    file: Part = ("file", FilePart("users.csv", USERS_CSV.encode(), "text/csv"))
    both = _post_parts(rostering, [file, ("dryRun", "false")], query="?dryRun=true")
    assert both == (
        400,
        "dryRun is given in the form and in the query with different values ('false' and 'true'); give it once.",
    )
    twice = _post_parts(rostering, [("onError", "abort"), file, ("onError", "partial")])
    assert twice == (
        400,
        "The form field 'onError' is sent twice with different values ('abort' and 'partial'); send it once.",
    )
    _nothing_kept(rostering)
    # The same value twice says one thing: it is taken.
    same = rostering.upload(USERS_CSV, dryRun="true")
    body, content_type = node_form([file, ("dryRun", "true")])
    again = rostering.http.post(
        "/api/v1/upload?dryRun=true",
        headers={**rostering.headers, "Content-Type": content_type},
        content=body,
    )
    assert again.status_code == 200, again.text
    for reference in (same["referenceId"], again.json()["result"]["referenceId"]):
        detail = rostering.http.get(f"/api/v1/imports/{reference}", headers=rostering.headers).json()
        assert detail["dryRun"] is True


def test_every_option_is_taken_from_the_query(rostering: ApiUser) -> None:
    query = "?dryRun=yes&onError=abort&mode=sync&changeThreshold=50&importType=users"
    body, content_type = node_form([("file", FilePart("users.csv", USERS_CSV.encode(), "text/csv"))])
    response = rostering.http.post(
        f"/api/v1/upload{query}", headers={**rostering.headers, "Content-Type": content_type}, content=body
    )
    assert response.status_code == 200, response.text
    reference = response.json()["result"]["referenceId"]
    detail = rostering.http.get(f"/api/v1/imports/{reference}", headers=rostering.headers).json()
    assert (detail["dryRun"], detail["onError"], detail["mode"], detail["changeThreshold"]) == (
        True,
        "abort",
        "sync",
        50.0,
    )


def test_the_openapi_document_lists_exactly_the_options_the_upload_takes(app_client: TestClient) -> None:
    operation = app_client.get("/openapi.json").json()["paths"]["/api/v1/upload"]["post"]
    form = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["additionalProperties"] is False
    assert sorted(form["properties"]) == sorted(ACCEPTED)
    assert sorted(p["name"] for p in operation["parameters"] if p["in"] == "query") == sorted(OPTIONS)
