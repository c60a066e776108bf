import pytest
from fastapi.testclient import TestClient

from loadbay.importing.registry import all_types, bundle_types


@pytest.mark.parametrize(
    ("name", "header"),
    [
        (
            "organizations",
            "hierarchy_organizationId,hierarchy_organizationName,hierarchy_organizationDescription,hierarchy_parentOrganizationId",
        ),
        ("link-existing-user-to-groups", "user_username,group_name,group_role"),
    ],
)
def test_template_is_the_header_row(app_client: TestClient, name: str, header: str) -> None:
    response = app_client.get(f"/api/v1/templates/{name}.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == f'attachment; filename="{name}.csv"'
    assert response.text == header + "\r\n"


def test_every_registered_type_has_a_template_that_it_detects(app_client: TestClient) -> None:
    from loadbay.importing.registry import detect

    for import_type in all_types(scope="rostering"):
        header = app_client.get(f"/api/v1/templates/{import_type.name}.csv").text.strip().split(",")
        assert detect(header, scope="rostering") is import_type


def test_unknown_template_is_404_listing_the_known_ones(app_client: TestClient) -> None:
    response = app_client.get("/api/v1/templates/pupils.csv")
    assert response.status_code == 404
    assert "users" in response.json()["message"]


def test_templates_list_every_type_with_its_columns(app_client: TestClient) -> None:
    items = app_client.get("/api/v1/templates").json()["items"]
    assert [item["name"] for item in items] == [t.name for t in [*all_types(), *bundle_types()]]
    users = next(item for item in items if item["name"] == "users")
    assert users["scope"] == "rostering"
    assert users["key"] == ["user_username"]
    assert users["templateUrl"] == "/api/v1/templates/users.csv"
    columns = {column["name"]: column for column in users["columns"]}
    assert columns["user_username"]["required"] == "always"
    assert columns["user_password"]["required"] == "on_create"
    assert columns["user_email"]["required"] == "no"
    assert all(column["description"] for column in users["columns"])
    header = app_client.get(users["templateUrl"]).text.strip().split(",")
    assert header == list(columns)


@pytest.mark.parametrize(
    "head",
    [
        b"user_username,user_password,user_organizationId\nalice,Secret#1,root\n",
        "\ufeffUSER_USERNAME;User_Password;user_organizationid\r\nbob;x".encode(),
        "user_username\tuser_organizationId\n".encode("utf-16"),
        # The first 64 KiB of a bigger file: the cut may fall anywhere after the header.
        b"user_username,user_organizationId\n" + b"u,root\n" * 9000 + b"u,ro",
    ],
)
def test_detect_names_the_template_a_files_first_bytes_fit(app_client: TestClient, head: bytes) -> None:
    response = app_client.post("/api/v1/templates/detect?scope=rostering", content=head[: 64 * 1024])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["importType"] == "users"
    assert body["problems"] == []


def test_detect_explains_a_header_that_fits_no_template(app_client: TestClient) -> None:
    body = app_client.post(
        "/api/v1/templates/detect?scope=rostering", content=b"user_username,user_nickname\nalice,al\n"
    ).json()
    assert body["importType"] is None
    assert body["header"] == ["user_username", "user_nickname"]
    assert body["closest"] == "users"
    assert body["problems"] == ["users: unknown column(s) user_nickname"]
    assert body["explanation"] == (
        "it is closest to users, but user_nickname is not a column of users (nor of any template)"
    )


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        (b"", 400, "The file cannot be read as CSV: Line 1: the file is empty; it needs a header row."),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00",
            400,
            "The file cannot be read as CSV: Line 1: the header cannot be decoded; save the file as 'CSV UTF-8'.",
        ),
        (b"a" * (64 * 1024 + 1), 413, "Send at most the first 65536 bytes of the file."),
    ],
)
def test_detect_refuses_what_is_not_a_csv_head(
    app_client: TestClient, content: bytes, status: int, message: str
) -> None:
    response = app_client.post("/api/v1/templates/detect", content=content)
    assert (response.status_code, response.json()) == (status, {"message": message})


def test_detect_says_what_an_update_with_the_file_sets_and_keeps(app_client: TestClient) -> None:
    body = app_client.post(
        "/api/v1/templates/detect?scope=rostering",
        content=b"user_username,user_name,user_active\nalice,A,FALSE\n",
    ).json()
    assert body["importType"] == "users"
    assert body["key"] == ["user_username"]
    assert body["changes"] == ["user_name", "user_active"]
    assert body["keeps"] == [
        "user_password",
        "user_email",
        "user_language",
        "user_role",
        "user_organizationId",
        "user_externalId",
    ]
    assert body["explanation"] is None


@pytest.mark.parametrize(
    ("header", "import_type", "changes"),
    [
        # A session never moves to another group: group_name is mandatory, never a change.
        (
            "session_name,group_name,session_timezone",
            "sessions-with-delivery-in-existing-groups",
            ["session_timezone"],
        ),
        (
            "session_name,group_name,group_description,group_organizationId",
            "sessions-with-delivery-in-new-groups",
            ["group_description", "group_organizationId"],
        ),
        ("user_username,group_name,group_role,user_name", "link-new-user-to-groups", ["user_name"]),
        ("user_username,group_name,group_role", "link-existing-user-to-groups", []),
    ],
)
def test_detect_never_says_a_column_mandatory_in_every_row_changes(
    app_client: TestClient, header: str, import_type: str, changes: list[str]
) -> None:
    body = app_client.post("/api/v1/templates/detect?scope=rostering", content=header.encode() + b"\n").json()
    assert (body["importType"], body["changes"]) == (import_type, changes)


def test_oneroster_files_are_listed_as_files_of_a_bundle(app_client: TestClient) -> None:
    items = {item["name"]: item for item in app_client.get("/api/v1/templates").json()["items"]}
    users = items["oneroster.users"]
    assert users["bundle"] == "oneroster"
    assert items["users"]["bundle"] is None
    assert [c["name"] for c in users["columns"]][:3] == ["sourcedId", "status", "dateLastModified"]
    response = app_client.get("/api/v1/templates/oneroster.users.csv")
    assert response.status_code == 200
    assert 'filename="users.csv"' in response.headers["content-disposition"]
    assert response.text.startswith("sourcedId,status,dateLastModified,")
