"""The rostering read API: tenant-scoped, cursor-paginated, never a password."""

from fastapi.testclient import TestClient

from loadbay.runtime import Runtime
from tests.conftest import ApiUser
from tests.rostering import samples


def _load(api: ApiUser) -> None:
    for content in (
        samples.ORGANIZATIONS,
        samples.USERS,
        samples.GROUPS,
        samples.LINK_EXISTING,
        samples.SESSIONS_EXISTING_GROUPS,
    ):
        assert api.import_file(content)["counts"]["failed"] == 0


def test_pages_follow_the_cursor_to_the_end(rostering: ApiUser) -> None:
    _load(rostering)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = rostering.http.get("/api/v1/rostering/users", headers=rostering.headers, params=params).json()
        seen += [item["username"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == ["teacher.jones", "student.kim", "student.ortiz"]


def test_users_never_include_a_password(rostering: ApiUser) -> None:
    _load(rostering)
    response = rostering.http.get("/api/v1/rostering/users/teacher.jones", headers=rostering.headers)
    assert response.status_code == 200
    user = response.json()
    assert user["roles"] == ["GROUP_CREATOR", "SUPPORT"]
    assert user["externalId"] == {"google": "mjones"}
    assert user["hasPassword"] is True
    assert "Teach#2026" not in response.text
    assert "argon2" not in response.text
    assert not any("password" in key.lower() and key != "hasPassword" for key in user)


def test_each_collection_and_item(rostering: ApiUser) -> None:
    _load(rostering)
    get = lambda path: rostering.http.get(f"/api/v1/rostering/{path}", headers=rostering.headers)  # noqa: E731
    assert [o["organizationId"] for o in get("organizations").json()["items"]][:3] == [
        "root",
        "district-north",
        "school-lincoln",
    ]
    assert get("organizations/school-lincoln").json()["parentOrganizationId"] == "district-north"
    assert get("groups/class-7a").json()["metadata"] == {"year": "2026"}
    assert get("sessions/Reading 7A").json()["groupName"] == "class-7a"
    links = get("memberships?groupName=class-7a").json()["items"]
    assert {(m["username"], m["role"]) for m in links} == {
        ("student.kim", "TEST_TAKER"),
        ("teacher.jones", "GRADER"),
    }
    assert len(get("memberships?username=student.ortiz").json()["items"]) == 1


def test_unknown_item_collection_and_cursor(rostering: ApiUser) -> None:
    get = lambda path: rostering.http.get(f"/api/v1/rostering/{path}", headers=rostering.headers)  # noqa: E731
    assert get("users/nobody").status_code == 404
    assert get("users/nobody").json() == {"message": "No user 'nobody' in this tenant."}
    assert get("teachers").status_code == 404
    assert get("users?cursor=garbage!").status_code == 400
    assert get("users?limit=0").status_code == 400


def test_another_tenant_sees_nothing(app_client: TestClient, app_runtime: Runtime) -> None:
    owner = ApiUser.create(app_client, app_runtime, tenant="district-a")
    stranger = ApiUser.create(app_client, app_runtime, tenant="district-b")
    _load(owner)
    assert (
        app_client.get("/api/v1/rostering/users/teacher.jones", headers=stranger.headers).status_code == 404
    )
    assert app_client.get("/api/v1/rostering/users", headers=stranger.headers).json() == {
        "items": [],
        "nextCursor": None,
    }


def test_read_api_needs_the_rostering_scope(app_client: TestClient, app_runtime: Runtime) -> None:
    outsider = ApiUser.create(app_client, app_runtime, scopes=("files",))
    response = app_client.get("/api/v1/rostering/users", headers=outsider.headers)
    assert (response.status_code, response.json()) == (403, {"message": "Insufficient scope"})
    assert app_client.get("/api/v1/rostering/users").text == "Access Denied"
