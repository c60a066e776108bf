"""The console's webhooks pages in a real browser: add an endpoint, see its secret once, follow
its delivery log, delete it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.server import LoadbayServer
from tests.web.console import csv_file, sign_in, start_server
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadbayServer]:
    server = start_server(tmp_path_factory.mktemp("webhooks"), LOADBAY_WEBHOOK_ALLOW_PRIVATE="true")
    yield server
    server.stop()


def test_add_an_endpoint_follow_its_deliveries_and_delete_it(
    page: Page, server: LoadbayServer, receiver_factory: Callable[..., Receiver]
) -> None:
    receiver = receiver_factory()
    sign_in(page, server, server.create_client("district-hooks"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
    expect(page.get_by_text("No endpoints yet")).to_be_visible()

    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_role("button", name="Add endpoint").click()
    secret = page.locator("code.secret")
    expect(secret).to_be_visible()
    receiver.trust(secret.inner_text())
    assert secret.inner_text().startswith("whsec_")
    link = page.get_by_role("link", name=receiver.url)
    expect(link).to_be_visible()

    page.goto(server.url + "/#/upload")
    page.get_by_label("Choose a file…").set_input_files(
        csv_file("group_name,group_organizationId\nhooked,root\n", "groups.csv")
    )
    page.get_by_role("button", name="Upload and import").click()
    expect(page.locator(".badge")).to_have_text("Processed")
    receiver.wait_for(lambda requests: any(r["status"] == 200 for r in requests))

    page.goto(server.url + "/#/webhooks")
    page.get_by_role("link", name=receiver.url).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(receiver.url)
    row = page.locator("table.deliveries tbody tr").first
    expect(row).to_contain_text("import.processed")
    expect(row).to_contain_text("Delivered")
    expect(row).to_contain_text("HTTP 200")

    page.get_by_role("link", name="All webhooks").click()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("alert")).to_contain_text(f"Deleted the endpoint {receiver.url}")
    expect(page.get_by_text("No endpoints yet")).to_be_visible()


def test_a_refused_url_is_explained(page: Page, server: LoadbayServer) -> None:
    sign_in(page, server, server.create_client("district-hooks-2"))
    page.goto(server.url + "/#/webhooks")
    page.get_by_label("Endpoint URL").fill("https://user:pw@example.org/hook")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("alert")).to_contain_text("must not hold a user name or password")
