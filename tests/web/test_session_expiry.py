"""A token that expires while the console is open: back to sign-in, then back to the same page."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.web.console import sign_in, start_server

pytestmark = pytest.mark.e2e


def test_an_expired_token_returns_to_sign_in_and_then_to_the_page(page: Page, tmp_path: Path) -> None:
    server = start_server(tmp_path, LOADBAY_TOKEN_TTL_SECONDS="2")
    try:
        client = server.create_client()
        sign_in(page, server, client)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Templates").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Templates")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Upload").click()

        heading = page.get_by_role("heading", level=1)
        expect(heading).to_have_text("Sign in to Loadbay", timeout=5000)
        expect(page.get_by_role("alert")).to_have_text("Your session expired; sign in again.")

        page.get_by_label("Client ID").fill(client["client_id"])
        page.get_by_label("Client secret").fill(client["client_secret"])
        page.get_by_role("button", name="Sign in").click()
        expect(heading).to_have_text("Upload a file")
    finally:
        server.stop()
