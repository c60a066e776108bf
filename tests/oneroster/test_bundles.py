"""OneRoster bundles end to end: upload, worker, status, read API, result zip."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import pytest

from loadbay.models import OrgUnit
from tests.conftest import ApiUser, counts, run_jobs
from tests.oneroster.bundles import PASSWORD, bundle, district, manifest, unzip

ORGS = [
    {"sourcedId": "d1", "name": "North District", "type": "district"},
    {"sourcedId": "s1", "name": "Hill School", "type": "school", "parentSourcedId": "d1"},
]


def upload(api: ApiUser, content: bytes, *, filename: str = "bundle.zip", **data: str) -> dict[str, object]:
    response = api.http.post(
        "/api/v1/upload",
        headers=api.headers,
        files={"file": (filename, content, "application/zip")},
        data=data,
    )
    assert response.status_code == 200, response.text
    reference = str(response.json()["result"]["referenceId"])
    run_jobs(api.runtime)
    return api.status(reference)


def result_zip(api: ApiUser, reference: str) -> dict[str, str]:
    response = api.http.get(f"/api/v1/download/{reference}", headers=api.headers)
    assert response.status_code == 200, response.text
    signed = response.json()["signedUrl"]
    download = api.http.get(signed.split("http://testserver", 1)[1])
    assert download.status_code == 200
    return unzip(download.content)


def test_a_bundle_is_recognised_by_its_content_and_imports_its_files(rostering: ApiUser) -> None:
    status = upload(rostering, bundle({"orgs": ORGS}), filename="export.csv")
    assert status["status"] == "processed", status["messages"]
    assert status["importType"] == "oneroster"
    files = status["files"]
    assert isinstance(files, list)
    assert [(f["name"], f["mode"], f["status"], f["counts"]["created"]) for f in files] == [
        ("orgs.csv", "bulk", "done", 2)
    ]
    results = result_zip(rostering, str(status["referenceId"]))
    assert list(results) == ["orgs-result.csv"]
    assert "created" in results["orgs-result.csv"]


def test_a_row_error_names_the_file_and_line(rostering: ApiUser) -> None:
    bad = [*ORGS, {"sourcedId": "s2", "name": "Lost School", "type": "school", "parentSourcedId": "nowhere"}]
    status = upload(rostering, bundle({"orgs": bad}))
    assert status["status"] == "processed"
    messages = status["messages"]
    assert isinstance(messages, list)
    assert messages[0].startswith("orgs.csv line 4: parentSourcedId: 'nowhere' is not the sourcedId")


def stored_objects(api: ApiUser) -> list[str]:
    """Every file in the object store (the uploads, kept copies, results and work files)."""
    objects = api.runtime.settings.data_dir / "objects"
    return sorted(str(p.relative_to(objects)) for p in objects.rglob("*") if p.is_file())


def refused(api: ApiUser, content: bytes, **data: str) -> str:
    """The message of an upload refused with a 400; nothing of it is stored or queued."""
    response = api.http.post(
        "/api/v1/upload",
        headers=api.headers,
        files={"file": ("bundle.zip", content, "application/zip")},
        data=data,
    )
    assert response.status_code == 400, response.text
    assert stored_objects(api) == []
    assert api.http.get("/api/v1/imports", headers=api.headers).json()["items"] == []
    message: str = response.json()["message"]
    return message


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"PK\x03\x04 not really a zip", "The zip cannot be imported"),
        (bundle({"orgs": ORGS}, manifest_text="propertyName,value\r\n"), "manifest.version"),
        # A manifest that lies: a file it declares is absent from the zip...
        (
            bundle({"orgs": ORGS}, modes={"orgs": "bulk", "users": "bulk"}),
            "manifest.csv declares file.users as bulk but the bundle has no users.csv.",
        ),
        # ... a file it declares absent is in the zip...
        (
            bundle({"orgs": ORGS, "users": []}, modes={"orgs": "bulk"}),
            "users.csv is in the bundle but manifest.csv declares file.users as absent",
        ),
        # ... or it is not OneRoster 1.1.
        (
            bundle({"orgs": ORGS}, manifest_text=manifest({"orgs": "bulk"}, version="1.0")),
            "manifest.csv declares oneroster.version 1.0; Loadbay imports OneRoster 1.1 bundles",
        ),
    ],
    ids=["not-a-zip", "no-manifest-version", "declared-missing", "present-declared-absent", "version-1.0"],
)
def test_a_refused_bundle_is_a_400_and_nothing_is_stored(
    rostering: ApiUser, content: bytes, words: str
) -> None:
    assert words in refused(rostering, content)


def test_a_workbook_is_refused_with_a_hint(rostering: ApiUser) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    for name in ("users.csv", "users.xlsx"):
        response = rostering.http.post(
            "/api/v1/upload", headers=rostering.headers, files={"file": (name, out.getvalue(), "x")}
        )
        assert response.status_code == 400
        assert "workbook" in response.text


def test_import_type_and_mode_do_not_apply_to_a_bundle(rostering: ApiUser) -> None:
    for data in ({"importType": "users"}, {"mode": "sync"}):
        response = rostering.http.post(
            "/api/v1/upload",
            headers=rostering.headers,
            files={"file": ("bundle.zip", bundle({"orgs": ORGS}), "application/zip")},
            data=data,
        )
        assert response.status_code == 400, response.text
        assert "manifest.csv" in response.text


def test_orgs_land_in_the_tree(rostering: ApiUser) -> None:
    upload(rostering, bundle({"orgs": ORGS}))
    with rostering.runtime.sessions() as session:
        units = {u.org_id: u.parent_org_id for u in session.query(OrgUnit)}
    assert units["s1"] == "d1"


def read(api: ApiUser, collection: str) -> dict[str, dict[str, Any]]:
    """A rostering collection by its key, as the read API shows it (timestamps left out)."""
    response = api.http.get(f"/api/v1/rostering/{collection}?limit=500", headers=api.headers)
    assert response.status_code == 200, response.text
    assert response.text.count(PASSWORD) == 0
    key = {"organizations": "organizationId", "users": "username", "groups": "name"}.get(
        collection, "sourcedId"
    )
    return {
        str(item[key]): {k: v for k, v in item.items() if k not in ("createdAt", "updatedAt")}
        for item in response.json()["items"]
    }


def messages(status: dict[str, object]) -> list[str]:
    found = status["messages"]
    assert isinstance(found, list)
    return [str(m) for m in found]


def file_counts(status: dict[str, object]) -> dict[str, dict[str, int]]:
    """Each file's non-zero counts, by name."""
    files = status["files"]
    assert isinstance(files, list)
    return {f["name"]: {k: v for k, v in f["counts"].items() if v} for f in files}


def test_a_full_bulk_bundle_imports_every_file_and_keeps_no_password(rostering: ApiUser) -> None:
    status = upload(rostering, bundle(district()))
    assert status["status"] == "processed", status["messages"]
    assert status["messages"] == []
    assert file_counts(status) == {
        "orgs.csv": {"created": 3},
        "academicSessions.csv": {"created": 2},
        "courses.csv": {"created": 2},
        "classes.csv": {"created": 3},
        "users.csv": {"created": 4},
        "enrollments.csv": {"created": 4},
        "demographics.csv": {"created": 2},
    }
    assert status["counts"] == counts(created=20)
    files = status["files"]
    assert isinstance(files, list)
    assert [(f["importType"], f["mode"], f["status"]) for f in files] == [
        (f"oneroster.{entity}", "bulk", "done")
        for entity in (
            "orgs",
            "academicSessions",
            "courses",
            "classes",
            "users",
            "enrollments",
            "demographics",
        )
    ]

    orgs = read(rostering, "organizations")
    assert {k: (o["parentOrganizationId"], o["type"]) for k, o in orgs.items()} == {
        "root": (None, None),
        "d1": ("root", "district"),
        "s1": ("d1", "school"),
        "s2": ("d1", "school"),
    }
    assert orgs["d1"]["identifier"] == "ND-01"
    assert set(read(rostering, "academicSessions")) == {"y27", "t1"}
    assert read(rostering, "academicSessions")["t1"]["parentSourcedId"] == "y27"
    courses = read(rostering, "courses")
    assert (courses["c1"]["grades"], courses["c1"]["orgSourcedId"]) == (["09", "10"], "s1")
    groups = read(rostering, "groups")
    assert {
        k: (g["courseSourcedId"], g["termSourcedIds"], g["classType"], g["organizationId"])
        for k, g in groups.items()
    } == {
        "k1": ("c1", ["t1"], "scheduled", "s1"),
        "k2": ("c2", ["t1"], "scheduled", "s2"),
        "k3": ("c1", ["t1"], "homeroom", "s1"),
    }
    users = read(rostering, "users")
    assert {
        k: (u["sourcedId"], u["organizationIds"], u["active"], u["hasPassword"]) for k, u in users.items()
    } == {
        "ada": ("u1", ["s1"], True, True),
        "bob": ("u2", ["s1", "s2"], True, False),
        "cy": ("u3", ["s1"], True, False),
        "dee": ("u4", ["s2"], True, False),
    }
    assert users["ada"]["userIds"] == ["{SIS:1001}", "{LDAP:ada}"]
    assert (users["ada"]["givenName"], users["ada"]["familyName"]) == ("Ada", "Lovelace")
    assert {
        k: (m["username"], m["groupName"], m["role"], m["primary"])
        for k, m in read(rostering, "memberships").items()
    } == {
        "e1": ("ada", "k1", "student", None),
        "e2": ("cy", "k1", "teacher", True),
        "e3": ("dee", "k2", "student", None),
        "e4": ("bob", "k3", "student", None),
    }
    demographics = read(rostering, "demographics")
    assert (demographics["u1"]["sex"], demographics["u1"]["asian"], demographics["u1"]["white"]) == (
        "female",
        True,
        False,
    )

    reference = str(status["referenceId"])
    results = result_zip(rostering, reference)
    assert sorted(results) == sorted(f"{entity}-result.csv" for entity in district())
    assert all(PASSWORD not in text for text in results.values())
    assert "password" not in results["users-result.csv"].splitlines()[0]
    objects = rostering.runtime.settings.data_dir / "objects"
    kept = unzip((objects / "import-csv" / "processed" / f"{reference}.zip").read_bytes())
    assert sorted(kept) == sorted(f"{entity}.csv" for entity in district())
    assert PASSWORD not in "".join(kept.values())
    header, ada = kept["users.csv"].splitlines()[:2]
    assert header.endswith(",password")
    assert ada.startswith("u1,")
    assert ada.endswith(",")
    for path in objects.rglob("*"):
        if path.is_file() and path.suffix == ".csv":
            assert PASSWORD not in path.read_text(), path


DELTA_AT = "2026-12-01T08:00:00Z"


@pytest.fixture
def imported(rostering: ApiUser) -> ApiUser:
    """The API user's tenant after the district's full bulk bundle."""
    status = upload(rostering, bundle(district()))
    assert status["status"] == "processed", status["messages"]
    return rostering


def test_a_delta_bundle_deactivates_a_user_and_moves_an_enrollment(imported: ApiUser) -> None:
    full = district()
    [dee] = [u for u in full["users"] if u["sourcedId"] == "u4"]
    [ada_in_algebra] = [e for e in full["enrollments"] if e["sourcedId"] == "e1"]
    delta = {
        "users": [dee | {"status": "tobedeleted", "dateLastModified": DELTA_AT}],
        "enrollments": [
            ada_in_algebra | {"status": "active", "dateLastModified": DELTA_AT, "classSourcedId": "k3"}
        ],
    }
    status = upload(imported, bundle(delta, mode="delta"))
    assert status["status"] == "processed", status["messages"]
    assert file_counts(status) == {"users.csv": {"deactivated": 1}, "enrollments.csv": {"updated": 1}}
    assert status["counts"] == counts(deactivated=1, updated=1)
    users = read(imported, "users")
    assert {name: u["active"] for name, u in users.items()} == {
        "ada": True,
        "bob": True,
        "cy": True,
        "dee": False,
    }
    memberships = read(imported, "memberships")
    assert (memberships["e1"]["groupName"], memberships["e1"]["username"]) == ("k3", "ada")
    assert len(memberships) == 4
    results = result_zip(imported, str(status["referenceId"]))
    assert sorted(results) == ["enrollments-result.csv", "users-result.csv"]


def test_a_renamed_user_keeps_their_enrollments_under_the_new_username(imported: ApiUser) -> None:
    [ada] = [u for u in district()["users"] if u["sourcedId"] == "u1"]
    renamed = ada | {"status": "active", "dateLastModified": DELTA_AT, "username": "ada.lovelace"}
    status = upload(imported, bundle({"users": [renamed]}, mode="delta"))
    assert status["status"] == "processed", status["messages"]
    assert file_counts(status) == {"users.csv": {"updated": 1}}
    memberships = read(imported, "memberships")
    ada_links = {key for key, m in memberships.items() if m["userSourcedId"] == "u1"}
    assert ada_links
    assert {memberships[key]["username"] for key in ada_links} == {"ada.lovelace"}
    assert "ada" not in {m["username"] for m in memberships.values()}


def outcomes(result: str) -> dict[str, str]:
    """A result CSV's outcome by key (the sourcedId)."""
    rows = list(csv.DictReader(io.StringIO(result)))
    return {row["key"]: row["outcome"] for row in rows}


def test_a_second_bulk_bundle_deactivates_the_user_it_leaves_out(imported: ApiUser) -> None:
    files = district()
    files["users"] = [u for u in files["users"] if u["sourcedId"] != "u2"]
    files["enrollments"] = [e for e in files["enrollments"] if e["userSourcedId"] != "u2"]
    files["demographics"] = [d for d in files["demographics"] if d["sourcedId"] != "u2"]
    # A dry run lists what the syncs would take away, and takes nothing.
    dry = upload(imported, bundle(files), changeThreshold="50", dryRun="true")
    assert dry["status"] == "processed", dry["messages"]
    assert file_counts(dry)["users.csv"] == {"unchanged": 3, "deactivated": 1}
    assert outcomes(result_zip(imported, str(dry["referenceId"]))["users-result.csv"])["u2"] == "deactivated"
    assert read(imported, "users")["bob"]["active"]
    assert "e4" in read(imported, "memberships")
    status = upload(imported, bundle(files), changeThreshold="50")
    assert status["status"] == "processed", status["messages"]
    assert file_counts(status) == file_counts(dry)
    counted = file_counts(status)
    assert counted["users.csv"] == {"unchanged": 3, "deactivated": 1}
    assert counted["enrollments.csv"] == {"unchanged": 3, "removed": 1}
    assert counted["demographics.csv"] == {"unchanged": 1, "removed": 1}
    assert counted["orgs.csv"] == {"unchanged": 3}
    results = result_zip(imported, str(status["referenceId"]))
    assert outcomes(results["users-result.csv"]) == {
        "u1": "unchanged",
        "u3": "unchanged",
        "u4": "unchanged",
        "u2": "deactivated",
    }
    assert PASSWORD not in results["users-result.csv"]
    assert not read(imported, "users")["bob"]["active"]
    assert "e4" not in read(imported, "memberships")


def test_a_bulk_bundle_over_the_change_threshold_fails_and_writes_nothing(imported: ApiUser) -> None:
    before = {c: read(imported, c) for c in ("users", "memberships", "groups")}
    files = district()
    files["users"] = [u for u in files["users"] if u["sourcedId"] in ("u1", "u3")]
    files["enrollments"] = [e for e in files["enrollments"] if e["userSourcedId"] in ("u1", "u3")]
    files["demographics"] = files["demographics"][:1]
    files["classes"][0]["title"] = "Algebra I, renamed"
    status = upload(imported, bundle(files), changeThreshold="10")
    assert status["status"] == "failed"
    [message] = messages(status)
    assert "the bulk users.csv would deactivate 2 of the tenant's 4 active users" in message
    assert "changeThreshold=10%" in message
    assert codes(imported, str(status["referenceId"])) == ["sync_threshold"]
    assert status["counts"] == counts()
    assert {c: read(imported, c) for c in ("users", "memberships", "groups")} == before


def codes(api: ApiUser, reference: str) -> list[str]:
    response = api.http.get(f"/api/v1/imports/{reference}", headers=api.headers)
    assert response.status_code == 200, response.text
    return [str(m["code"]) for m in response.json()["messagePage"]["items"]]


def with_broken_reference() -> dict[str, list[dict[str, str]]]:
    """The district's bundle with an enrollment (line 6 of enrollments.csv) of a user no file has."""
    files = district()
    files["enrollments"].append(
        {"sourcedId": "e9", "classSourcedId": "k2", "schoolSourcedId": "s2", "userSourcedId": "ghost"}
        | {"role": "student"}
    )
    return files


UNKNOWN_USER = "enrollments.csv line 6: userSourcedId: 'ghost' "


def test_an_enrollment_of_an_unknown_user_names_the_file_line_and_sourcedid(rostering: ApiUser) -> None:
    status = upload(rostering, bundle(with_broken_reference()))
    assert status["status"] == "processed"
    [message] = messages(status)
    assert message.startswith(UNKNOWN_USER), message
    assert "users.csv" in message
    assert file_counts(status)["enrollments.csv"] == {"created": 4, "failed": 1}
    assert status["counts"] == counts(created=20, failed=1)
    assert len(read(rostering, "memberships")) == 4
    assert len(read(rostering, "users")) == 4
    response = rostering.http.get(f"/api/v1/imports/{status['referenceId']}", headers=rostering.headers)
    [record] = response.json()["messagePage"]["items"]
    assert (record["file"], record["line"], record["column"], record["code"]) == (
        "enrollments.csv",
        6,
        "userSourcedId",
        "unknown_reference",
    )
    result = result_zip(rostering, str(status["referenceId"]))["enrollments-result.csv"]
    assert outcomes(result)["e9"] == "failed"


def test_on_error_abort_writes_nothing_of_a_bundle_with_a_broken_reference(rostering: ApiUser) -> None:
    status = upload(rostering, bundle(with_broken_reference()), onError="abort")
    assert status["status"] == "failed"
    notice, message = messages(status)
    assert notice.startswith("onError=abort: 1 row(s) of the bundle failed validation")
    assert message.startswith(UNKNOWN_USER)
    # As for one file: the counts and result say what the rows would have been.
    assert status["counts"] == counts(created=20, failed=1)
    assert list(read(rostering, "organizations")) == ["root"]
    for collection in ("users", "groups", "memberships", "academicSessions", "courses", "demographics"):
        assert read(rostering, collection) == {}, collection
    # Each file's counts and result say how its rows would have gone.
    files = status["files"]
    assert isinstance(files, list)
    assert {f["status"] for f in files} == {"done"}
    assert file_counts(status)["enrollments.csv"] == {"created": 4, "failed": 1}
    assert file_counts(status)["demographics.csv"] == {"created": 2}
    result = result_zip(rostering, str(status["referenceId"]))
    assert sorted(result) == sorted(f"{entity}-result.csv" for entity in district())
    assert outcomes(result["enrollments-result.csv"]) == {
        "e1": "created",
        "e2": "created",
        "e3": "created",
        "e4": "created",
        "e9": "failed",
    }


def test_a_dry_run_writes_nothing_and_reports_what_the_import_would(rostering: ApiUser) -> None:
    status = upload(rostering, bundle(with_broken_reference()), dryRun="true")
    assert status["status"] == "processed"
    [message] = messages(status)
    # Users, classes and orgs of the same bundle resolve though none was written.
    assert message.startswith(UNKNOWN_USER)
    assert status["counts"] == counts(created=20, failed=1)
    assert file_counts(status)["enrollments.csv"] == {"created": 4, "failed": 1}
    assert list(read(rostering, "organizations")) == ["root"]
    for collection in ("users", "groups", "memberships", "academicSessions", "courses", "demographics"):
        assert read(rostering, collection) == {}, collection


def with_unknown_column() -> bytes:
    """The district's bundle whose users.csv has a column OneRoster does not (after the password)."""
    content = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(bundle(district()))) as source, zipfile.ZipFile(content, "w") as archive:
        for name in source.namelist():
            text = source.read(name).decode()
            if name == "users.csv":
                lines = text.split("\r\n")
                text = "\r\n".join([lines[0] + ",nickname", *(line + ",x" for line in lines[1:-1]), ""])
            archive.writestr(name, text)
    return content.getvalue()


def test_a_file_whose_header_does_not_fit_fails_the_bundle_before_anything_is_written(
    rostering: ApiUser,
) -> None:
    status = upload(rostering, with_unknown_column())
    assert status["status"] == "failed"
    [message] = messages(status)
    assert message.startswith(
        "users.csv: the header does not fit oneroster.users: unknown column(s) nickname."
    )
    assert list(read(rostering, "organizations")) == ["root"]
    reference = str(status["referenceId"])
    assert sorted(result_zip(rostering, reference)) == ["bundle-messages.txt"]
    kept = rostering.runtime.settings.data_dir / "objects" / "import-csv" / "failed" / f"{reference}.zip"
    users = unzip(kept.read_bytes())["users.csv"]
    assert PASSWORD not in users
    assert users.splitlines()[1].endswith(",,x")


def test_the_header_message_lists_the_columns_of_the_file(rostering: ApiUser) -> None:
    [message] = messages(upload(rostering, with_unknown_column()))
    assert "Expected: oneroster.users: sourcedId*" in message
