"""OneRoster bundles end to end: upload, worker, status, read API, result zip."""

from __future__ import annotations

import io
import zipfile

import pytest

from loadbay.models import OrgUnit
from tests.conftest import ApiUser, run_jobs
from tests.oneroster.bundles import bundle, unzip

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


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"PK\x03\x04 not really a zip", "The zip cannot be imported"),
        (bundle({"orgs": ORGS}, manifest_text="propertyName,value\r\n"), "manifest.version"),
        (bundle({"orgs": ORGS}, modes={"orgs": "bulk", "users": "bulk"}), "users.csv"),
    ],
)
def test_a_refused_bundle_is_a_400_and_nothing_is_stored(
    rostering: ApiUser, content: bytes, words: str
) -> None:
    response = rostering.http.post(
        "/api/v1/upload",
        headers=rostering.headers,
        files={"file": ("bundle.zip", content, "application/zip")},
    )
    assert response.status_code == 400, response.text
    assert words in response.text
    assert not list((rostering.runtime.settings.data_dir / "objects").rglob("*.zip"))


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
