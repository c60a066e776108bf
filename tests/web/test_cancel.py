"""Cancelling an import from its page in the console, then deleting its files, in a real browser."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.web.console import csv_file, sign_in, start_server

pytestmark = pytest.mark.e2e


def test_a_pending_import_is_cancelled_and_its_files_deleted_from_its_page(
    page: Page, tmp_path: Path
) -> None:
    # No worker: the import waits, as it would behind a long queue.
    server = start_server(tmp_path, LOADBAY_WORKERS="0")
    try:
        sign_in(page, server, server.create_client())
        page.goto(server.url + "/#/upload")
        page.get_by_label("Choose a file…").set_input_files(
            csv_file("group_name,group_organizationId\ng1,root\n", "groups.csv")
        )
        expect(page.locator(".detected-template")).to_have_text("groups")
        page.get_by_role("button", name="Upload and import").click()
        expect(page.locator(".badge")).to_have_text("Pending")

        page.get_by_role("button", name="Cancel import").click()
        expect(page.locator(".badge")).to_have_text("Cancelled")
        expect(page.locator(".summary")).to_contain_text(
            "Cancelled. The rows committed before the cancel stay"
        )
        expect(page.get_by_role("button", name="Cancel import")).to_be_hidden()
        expect(page.locator("table.messages tbody tr").first).to_contain_text("Import cancelled")

        # Then its files go; the page says what stays.
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Delete files").click()
        expect(page.locator(".deleted-note")).to_contain_text("the imported rows and the counts stay")
        expect(page.get_by_role("button", name="Download result")).to_be_hidden()
        expect(page.get_by_role("button", name="Delete files")).to_be_hidden()

        page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
        expect(page.locator("table.imports tbody tr").first.locator("td").first).to_have_text("Cancelled")
    finally:
        server.stop()
