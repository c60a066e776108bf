"""Take the README's screenshots of the browser console: ``.venv/bin/python -m docs.screenshots``.

Starts a throwaway ``loadbay serve`` (SQLite in a temporary folder), imports a few sample files
through the API, then photographs each page in Debian's Chromium. Not part of ``make test``.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect, sync_playwright
from tests.e2e.server import LoadbayServer
from tests.web.console import (
    USERS_FIXED,
    USERS_WITH_MISTAKES,
    csv_file,
    launch_chromium,
    sign_in,
    start_server,
)

DOCS = Path(__file__).parent
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}

GROUPS = (
    "group_name,group_description,group_active,group_organizationId\n"
    "grade-5a,Grade 5 class A,TRUE,root\n"
    "grade-5b,Grade 5 class B,TRUE,root\n"
    "grade-6a,Grade 6 class A,TRUE,root\n"
)
# The default argon2 cost (the test helper lowers it) and small batches, so an import of a few
# thousand users is still running when the imports list is pictured.
SLOW_IMPORTS = {
    "LOADBAY_PASSWORD_TIME_COST": "2",
    "LOADBAY_PASSWORD_MEMORY_KIB": "19456",
    "LOADBAY_BATCH_ROWS": "100",
    "LOADBAY_WORKERS": "1",
}
NOT_A_TEMPLATE = "student,teacher,room\nann,mr smith,12\n"
TRANSACTIONS = (
    "TransactionId,AccountId,Type,Amount,Currency,Status,TransactionDate\n"
    "t-1001,cust-17,Sale,12.50,USD,Completed,2026-11-24T10:00:00Z\n"
    "t-1002,cust-17,Sale,12.505,USD,Completed,2026-11-24T10:05:00Z\n"
)


def _many_users(count: int) -> str:
    rows = [f"user{n:05},User {n},Str0ng#Pass{n},user{n}@example.org,,root" for n in range(count)]
    return "user_username,user_name,user_password,user_email,user_role,user_organizationId\n" + "\n".join(
        rows
    )


class Api:
    """Just enough of the API to prepare the imports the pictures show."""

    def __init__(self, server: LoadbayServer, client: dict[str, str]) -> None:
        self.http = httpx.Client(base_url=server.url, timeout=60)
        token = self.http.post(
            "/api/v1/oauth2/tokens",
            data={
                "grant_type": "client_credentials",
                **{k: client[k] for k in ("client_id", "client_secret")},
            },
        ).json()["access_token"]
        self.http.headers["Authorization"] = f"Bearer {token}"

    def upload(self, name: str, content: str, **options: str) -> str:
        answer = self.http.post(
            "/api/v1/upload", files={"file": (name, content.encode(), "text/csv")}, data=options
        )
        answer.raise_for_status()
        reference_id: str = answer.json()["result"]["referenceId"]
        return reference_id

    def wait(self, reference_id: str) -> None:
        deadline = time.monotonic() + 60
        while self.http.get(f"/api/v1/imports/{reference_id}").json()["status"] == "pending":
            if time.monotonic() > deadline:
                raise RuntimeError(f"import {reference_id} did not finish")
            time.sleep(0.2)


def _merchant(server: LoadbayServer) -> dict[str, str]:
    """A payments client of a tenant with two companies, one of them with two projects."""
    for company, projects in [("Corner Shop", ["web", "store"]), ("Shop Online", ["web"])]:
        done = server.cli("companies", "create", "--tenant", "shop-a", "--name", company, "--json")
        company_id = json.loads(done.stdout)["company_id"]
        for project in projects:
            server.cli("projects", "create", "--company", company_id, "--name", project, "--json")
    return server.create_client("shop-a", "payments")


def _shoot(page: Page, name: str, *, full_page: bool = False) -> None:
    # The text caret and focus ring would only add noise to a still picture.
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.screenshot(path=str(DOCS / name), full_page=full_page, animations="disabled")
    print(f"wrote docs/{name}")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        server = start_server(Path(folder), **SLOW_IMPORTS)
        try:
            client = server.create_client("district-a")
            api = Api(server, client)
            for name, content, options in [
                ("staff-2026.csv", USERS_WITH_MISTAKES, {}),
                ("classes.csv", GROUPS, {}),
                ("roster-export.csv", NOT_A_TEMPLATE, {}),
                ("staff-2026.csv", USERS_FIXED, {"dryRun": "true"}),
                ("staff-2026.csv", USERS_FIXED, {}),
            ]:
                api.wait(api.upload(name, content, **options))
            with_mistakes = api.http.get("/api/v1/imports", params={"limit": 5}).json()["items"][-1][
                "referenceId"
            ]
            _take_pictures(server, client, api, with_mistakes, _merchant(server))
        finally:
            server.stop()


def _take_pictures(
    server: LoadbayServer, client: dict[str, str], api: Api, with_mistakes: str, merchant: dict[str, str]
) -> None:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport=LAPTOP, locale="en-US", timezone_id="Europe/Paris")

        page.goto(server.url + "/")
        page.get_by_label("Client ID").fill(client["client_id"])
        page.get_by_label("Client secret").fill(client["client_secret"])
        _shoot(page, "console-signin.png")

        sign_in(page, server, client)
        page.goto(server.url + "/#/upload")
        page.get_by_label("Choose a file…").set_input_files(csv_file(USERS_WITH_MISTAKES, "staff-2026.csv"))
        expect(page.locator(".detected-template")).to_have_text("users")
        _shoot(page, "console-upload.png")

        shop = browser.new_page(viewport=LAPTOP, locale="en-US", timezone_id="Europe/Paris")
        sign_in(shop, server, merchant)
        shop.goto(server.url + "/#/upload")
        shop.get_by_label("Choose a file…").set_input_files(csv_file(TRANSACTIONS, "transactions-nov.csv"))
        expect(shop.locator(".detected-template")).to_have_text("Transactions")
        shop.get_by_label("Company").select_option(label="Corner Shop")
        shop.get_by_label("Project").select_option(label="web")
        _shoot(shop, "console-upload-payments.png", full_page=True)
        shop.close()

        page.goto(server.url + f"/#/imports/{with_mistakes}")
        expect(page.locator("table.messages tbody tr")).to_have_count(3)
        _shoot(page, "console-import.png", full_page=True)

        page.goto(server.url + "/#/templates")
        expect(page.locator("section#template-users")).to_be_visible()
        page.locator("section#template-users").scroll_into_view_if_needed()
        page.evaluate("() => window.scrollTo(0, 0)")
        _shoot(page, "console-templates.png")

        api.upload("district-users.csv", _many_users(3000))
        page.goto(server.url + "/#/imports")
        expect(page.locator("table.imports .mini-progress").first).to_contain_text(
            re.compile(r"[1-9]\d?%"), timeout=30_000
        )
        _shoot(page, "console-imports.png")

        phone = browser.new_page(viewport=PHONE, locale="en-US", timezone_id="Europe/Paris")
        sign_in(phone, server, client)
        phone.goto(server.url + f"/#/imports/{with_mistakes}")
        expect(phone.locator("table.messages tbody tr")).to_have_count(3)
        _shoot(phone, "console-import-phone.png", full_page=True)
        browser.close()


if __name__ == "__main__":
    main()
