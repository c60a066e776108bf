"""A merchant admin in the console: payments files go to an import batch of a company's project."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.server import LoadbayServer
from tests.web.console import USERS_WITH_MISTAKES, csv_file, sign_in, start_server

pytestmark = pytest.mark.e2e

TRANSACTIONS = (
    "TransactionId,AccountId,Type,Amount,Currency,Status,TransactionDate\n"
    "t-1001,cust-17,Sale,12.50,USD,Completed,2026-11-24T10:00:00Z\n"
    "t-1002,cust-17,Sale,12.505,USD,Completed,2026-11-24T10:05:00Z\n"
)
# No Amount: detection still names Transactions as the closest template, and the batch refuses it.
TRANSACTIONS_WITHOUT_AMOUNT = (
    "TransactionId,AccountId,Type,Currency,Status,TransactionDate\n"
    "t-2001,cust-17,Sale,USD,Completed,2026-11-24T10:00:00Z\n"
)


# A payments file's batch has its own limit, apart from the rostering upload's 10 MiB.
BATCH_LIMIT = 64 * 1024


def _created(server: LoadbayServer, *args: str) -> dict[str, Any]:
    done = server.cli(*args, "--json")
    assert done.returncode == 0, done.stderr + done.stdout
    payload: dict[str, Any] = json.loads(done.stdout)
    return payload


def _company(server: LoadbayServer, tenant: str, name: str, *projects: str) -> dict[str, str]:
    """A company of ``tenant`` with ``projects``; answers their ids by name."""
    company = _created(server, "companies", "create", "--tenant", tenant, "--name", name)["company_id"]
    ids = {name: company}
    for project in projects:
        ids[project] = _created(server, "projects", "create", "--company", company, "--name", project)[
            "project_id"
        ]
    return ids


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadbayServer]:
    server = start_server(
        tmp_path_factory.mktemp("payments-console"), LOADBAY_BATCHES_MAX_UPLOAD_BYTES=str(BATCH_LIMIT)
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def shop(server: LoadbayServer) -> dict[str, str]:
    """Two companies of tenant shop-a: Shop A with two projects, Shop B with one."""
    return {
        **_company(server, "shop-a", "Shop B", "pos"),
        **_company(server, "shop-a", "Shop A", "web", "store"),
    }


@pytest.fixture(scope="module")
def merchant(server: LoadbayServer, shop: dict[str, str]) -> dict[str, str]:
    return server.create_client("shop-a", "payments")


def _go_to_upload(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Upload").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload a file")


def _message_rows(page: Page) -> list[list[str]]:
    return [
        [cell.inner_text() for cell in row.locator("td").all()]
        for row in page.locator("table.messages tbody tr").all()
    ]


def test_a_merchant_imports_transactions_for_a_company_and_follows_them(
    page: Page, server: LoadbayServer, shop: dict[str, str], merchant: dict[str, str]
) -> None:
    sign_in(page, server, merchant)
    _go_to_upload(page)
    # Payments only: a hint, never the warning meant for a client that can upload nothing.
    expect(page.locator(".callout-info")).to_contain_text(
        "This client imports payments files into one of your tenant"
    )
    expect(page.get_by_text("lacks the rostering scope")).to_have_count(0)
    expect(page.locator(".no-company")).to_be_hidden()

    page.get_by_label("Choose a file…").set_input_files(csv_file(TRANSACTIONS, "transactions.csv"))
    expect(page.locator(".detected-template")).to_have_text("Transactions")
    company = page.get_by_label("Company")
    project = page.get_by_label("Project")
    expect(company).to_be_visible()
    # Batches have neither a dry run nor an abort on error; the page says so instead of offering them.
    expect(page.get_by_label("Dry run")).to_be_disabled()
    expect(page.get_by_label("Abort on any error")).to_be_disabled()
    expect(page.locator(".options-note")).to_have_text(
        "Payments files go through an import batch, which has no dry run and always imports the good rows."
    )

    # Two companies: nothing is chosen for the merchant, and the page says what is missing.
    expect(company.locator("option")).to_have_text(["Choose a company…", "Shop A", "Shop B"])
    page.get_by_role("button", name="Upload and import").click()
    expect(page.get_by_role("alert")).to_have_text("Choose the company this file is for.")
    expect(company).to_be_focused()
    # A company with one project has it chosen already...
    company.select_option(label="Shop B")
    expect(project.locator("option:checked")).to_have_text("pos")
    # ...and one with two waits for the merchant, who picks with the keyboard.
    company.select_option(label="Shop A")
    expect(project.locator("option")).to_have_text(["Choose a project…", "store", "web"])
    page.get_by_role("button", name="Upload and import").click()
    expect(page.get_by_role("alert")).to_have_text("Choose the project of Shop A this file is for.")
    expect(project).to_be_focused()
    page.keyboard.press("End")
    expect(project.locator("option:checked")).to_have_text("web")

    with page.expect_request("**/api/adm/import/batches") as staged:
        page.get_by_role("button", name="Upload and import").click()
    assert staged.value.post_data_json == {
        "CompanyId": shop["Shop A"],
        "CompanyProjectId": shop["web"],
        "Type": "Transactions",
    }

    # The batch's import, followed live by the import page to its end.
    expect(page).to_have_url(re.compile(r"#/imports/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("transactions.csv")
    expect(page.locator(".badge")).to_have_text("Processed")
    expect(page.locator("#import-progress-text")).to_have_text("100% · 3 of 3 lines")
    counts = page.locator(".counts")
    expect(counts.locator(".count", has_text="Created").locator("dd")).to_have_text("1")
    expect(counts.locator(".count", has_text="Failed").locator("dd")).to_have_text("1")
    expect(page.get_by_role("heading", name="Messages (1)")).to_be_visible()
    [[line, column, message, severity]] = _message_rows(page)
    assert (line, column, severity) == ("3", "Amount", "Error: not written")
    assert "12.505 has more decimal places than USD allows (2)" in message

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download result").click()
    download = download_info.value
    assert download.suggested_filename == "transactions-result.csv"
    result = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    assert [(row["line"], row["outcome"], row["key"]) for row in result] == [
        ("2", "created", "t-1001"),
        ("3", "failed", "t-1002"),
    ]


def test_a_header_the_batch_refuses_is_shown_as_an_alert(
    page: Page, server: LoadbayServer, merchant: dict[str, str]
) -> None:
    sign_in(page, server, merchant)
    _go_to_upload(page)
    page.get_by_label("Choose a file…").set_input_files(
        csv_file(TRANSACTIONS_WITHOUT_AMOUNT, "no-amount.csv")
    )
    expect(page.locator(".detection")).to_contain_text(
        "The header fits no template. Loadbay will refuse the file unless it is fixed:"
    )
    expect(page.locator(".problems li").first).to_contain_text("Transactions:")
    page.get_by_label("Company").select_option(label="Shop B")
    page.get_by_role("button", name="Upload and import").click()
    # The batches API's errorMessage, word for word, and the page stays ready for a fixed file.
    expect(page.get_by_role("alert")).to_have_text(
        re.compile(
            r"^The header does not fit Transactions: missing mandatory column\(s\) Amount\. "
            r"Expected columns \(\* = mandatory\): Transactions: TransactionId\*, "
        )
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload a file")
    expect(page.get_by_role("button", name="Upload and import")).to_be_enabled()


def test_a_payments_file_over_the_batch_limit_is_refused_before_it_is_sent(
    page: Page, server: LoadbayServer, merchant: dict[str, str]
) -> None:
    sign_in(page, server, merchant)
    _go_to_upload(page)
    expect(page.locator(".dropzone")).to_contain_text("Up to 64 KB.")
    row = "t-3001,cust-17,Sale,12.50,USD,Completed,2026-11-24T10:00:00Z\n"
    big = TRANSACTIONS + row * (BATCH_LIMIT // len(row) + 100)
    page.get_by_label("Choose a file…").set_input_files(csv_file(big, "big.csv"))
    expect(page.get_by_role("alert")).to_have_text(
        re.compile(
            r"^File too large: big\.csv is \d+ KB; this server accepts payments files up to 64 KB\. "
            r"Split the file and upload each part\.$"
        )
    )
    expect(page.get_by_role("button", name="Upload and import")).to_be_disabled()


def test_a_tenant_without_a_company_is_told_how_to_get_one(page: Page, server: LoadbayServer) -> None:
    client = server.create_client("shop-empty", "payments")
    sign_in(page, server, client)
    _go_to_upload(page)
    notice = page.locator(".no-company")
    expect(notice).to_contain_text("Your tenant has no company yet, so payments files have nowhere to go.")
    expect(notice).to_contain_text("loadbay companies create --tenant TENANT --name NAME")
    expect(notice).to_contain_text("loadbay projects create --company COMPANY_ID --name NAME")
    page.get_by_label("Choose a file…").set_input_files(csv_file(TRANSACTIONS, "transactions.csv"))
    expect(page.locator(".detected-template")).to_have_text("Transactions")
    expect(notice).to_be_visible()
    expect(page.get_by_label("Company")).to_be_hidden()
    expect(page.get_by_role("button", name="Upload and import")).to_be_disabled()


def test_a_client_with_both_scopes_gets_the_path_its_file_needs(
    page: Page, server: LoadbayServer, shop: dict[str, str]
) -> None:
    client = server.create_client("shop-a", "rostering", "payments")
    sign_in(page, server, client)
    _go_to_upload(page)
    # Either kind of file is welcome: no warning, no hint.
    expect(page.locator("main > .callout")).to_have_count(0)
    expect(page.locator(".dropzone")).to_contain_text(
        "Rostering files up to 10 MB, payments files up to 64 KB."
    )
    file_input = page.get_by_label("Choose a file…")

    file_input.set_input_files(csv_file(TRANSACTIONS, "transactions.csv"))
    expect(page.locator(".detected-template")).to_have_text("Transactions")
    expect(page.get_by_label("Company")).to_be_visible()
    expect(page.get_by_label("Dry run")).to_be_disabled()

    file_input.set_input_files(csv_file(USERS_WITH_MISTAKES, "staff.csv"))
    expect(page.locator(".detected-template")).to_have_text("users")
    expect(page.get_by_label("Company")).to_be_hidden()
    expect(page.locator(".options-note")).to_be_hidden()
    page.get_by_label("Dry run").check()
    page.get_by_role("button", name="Upload and import").click()
    expect(page.locator(".badge-slot .tag")).to_have_text("Dry run")
    expect(page.get_by_role("heading", level=1)).to_have_text("staff.csv")
