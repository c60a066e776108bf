"""A OneRoster bundle through the console: chosen as a .zip, followed file by file."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.server import LoadbayServer
from tests.oneroster.bundles import bundle
from tests.web.console import sign_in, start_server

pytestmark = pytest.mark.e2e

ORGS = [
    {"sourcedId": "d1", "name": "North District", "type": "district"},
    {"sourcedId": "s1", "name": "Hill School", "type": "school", "parentSourcedId": "d1"},
    {"sourcedId": "s2", "name": "Lost School", "type": "school", "parentSourcedId": "nowhere"},
]
SESSIONS = [
    {"sourcedId": "y27", "title": "2026-2027", "type": "schoolYear"}
    | {"startDate": "2026-09-01", "endDate": "2027-06-30", "schoolYear": "2027"},
    {"sourcedId": "t1", "title": "Fall", "type": "term", "parentSourcedId": "y27"}
    | {"startDate": "2026-09-01", "endDate": "2027-01-31", "schoolYear": "2027"},
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadbayServer]:
    server = start_server(tmp_path_factory.mktemp("bundles"))
    yield server
    server.stop()


def _cells(page: Page, table: str) -> list[list[str]]:
    rows = page.locator(f"table.{table} tbody tr")
    return [[cell.inner_text() for cell in row.locator("td").all()] for row in rows.all()]


def test_upload_a_bundle_and_follow_its_files(page: Page, server: LoadbayServer) -> None:
    sign_in(page, server, server.create_client("district-bundle"))
    page.goto(server.url + "/#/upload")
    expect(page.locator("#file")).to_have_attribute("accept", re.compile(r"\.zip"))
    content = bundle({"orgs": ORGS, "academicSessions": SESSIONS})
    page.get_by_label("Choose a file…").set_input_files(
        {"name": "district.zip", "mimeType": "application/zip", "buffer": content}
    )
    expect(page.locator(".bundle-detected")).to_contain_text("OneRoster bundle")
    # The manifest decides which files are synced; the threshold applies to them.
    expect(page.get_by_label("Full sync")).to_be_disabled()
    expect(page.get_by_label("Change threshold (%)")).to_be_enabled()
    page.get_by_role("button", name="Upload and import").click()

    expect(page).to_have_url(re.compile(r"#/imports/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("district.zip")
    expect(page.locator(".badge")).to_have_text("Processed")
    expect(page.locator("#import-progress-text")).to_have_text("100% · 2 of 2 files done · 7 lines read")
    expect(page.get_by_role("heading", name="Files")).to_be_visible()
    assert _cells(page, "bundle-files") == [
        ["orgs.csv", "Bulk", "Done", "4", "2", "0", "0", "1", "0", "0"],
        ["academicSessions.csv", "Bulk", "Done", "3", "2", "0", "0", "0", "0", "0"],
    ]
    expect(page.locator(".counts .count", has_text="Created").locator("dd")).to_have_text("4")

    # The messages name their file, in a column of its own.
    headers = page.locator("table.messages thead th")
    expect(headers).to_have_text(["File", "Line", "Column", "Message", "Severity"])
    assert [cells[:3] for cells in _cells(page, "messages")] == [["orgs.csv", "4", "parentSourcedId"]]

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download result zip").click()
    download = download_info.value
    assert download.suggested_filename == "district-result.zip"
    with zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes())) as archive:
        assert sorted(archive.namelist()) == ["academicSessions-result.csv", "orgs-result.csv"]
