"""The console in a real browser against a real ``loadbay serve``: what a person does, step by step."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.server import LoadbayServer
from tests.web.console import USERS_FIXED, USERS_WITH_MISTAKES, csv_file, sign_in, start_server

pytestmark = pytest.mark.e2e

UPLOAD_LIMIT = 256 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadbayServer]:
    server = start_server(tmp_path_factory.mktemp("console"), LOADBAY_MAX_UPLOAD_BYTES=str(UPLOAD_LIMIT))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(server: LoadbayServer) -> dict[str, str]:
    return server.create_client("district-console")


def _message_rows(page: Page) -> list[tuple[str, str, str]]:
    rows = page.locator("table.messages tbody tr")
    return [
        (
            row.locator("td").nth(0).inner_text(),
            row.locator("td").nth(1).inner_text(),
            row.locator("td").nth(2).inner_text(),
        )
        for row in rows.all()
    ]


def test_import_with_mistakes_read_them_fix_and_reimport(
    page: Page, server: LoadbayServer, client: dict[str, str]
) -> None:
    sign_in(page, server, client)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Upload").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload a file")

    page.get_by_label("Choose a file…").set_input_files(csv_file(USERS_WITH_MISTAKES, "staff.csv"))
    expect(page.locator(".detected-template")).to_have_text("users")
    page.get_by_role("button", name="Upload and import").click()

    # The import page follows the import to its end.
    expect(page).to_have_url(re.compile(r"#/imports/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("staff.csv")
    expect(page.locator(".badge")).to_have_text("Processed")
    progress = page.locator("#import-progress")
    expect(progress).to_have_attribute("value", "1")
    expect(page.locator("#import-progress-text")).to_have_text("100% · 4 of 4 lines")
    counts = page.locator(".counts")
    expect(counts.locator(".count", has_text="Created").locator("dd")).to_have_text("1")
    expect(counts.locator(".count", has_text="Failed").locator("dd")).to_have_text("2")
    expect(page.locator(".summary")).to_contain_text("2 rows could not be imported")

    # Every mistake, by line and column, in words a person can act on.
    expect(page.get_by_role("heading", name="Messages (3)")).to_be_visible()
    assert _message_rows(page) == [
        (
            "3",
            "user_password",
            "must be at least 8 characters with an upper-case letter, a lower-case letter and a special character",
        ),
        ("3", "user_email", "is not a valid e-mail address"),
        (
            "4",
            "user_role",
            "'KING' is not one of ADMIN, CONTENT_CREATOR, GROUP_CREATOR, PUBLIC_SESSION_MANAGER, "
            "BATTERY_MANAGER, SUPPORT, DATA_EXPLORER",
        ),
    ]
    expect(page.get_by_role("button", name="Show more messages")).to_be_hidden()

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download result").click()
    download = download_info.value
    assert download.suggested_filename == "staff-result.csv"
    result = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    assert [(row["line"], row["outcome"], row["key"]) for row in result] == [
        ("2", "created", "jdoe"),
        ("3", "failed", "asmith"),
        ("4", "failed", "bking"),
    ]
    # The download left the page, and so the token, where they were.
    expect(page.get_by_role("heading", level=1)).to_have_text("staff.csv")
    expect(page.get_by_role("alert")).to_contain_text("The result file is downloading")

    # Fix the file and bring it back, this time by dropping it on the page.
    page.get_by_role("link", name="Re-import a fixed file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload a file")
    dropped = page.evaluate_handle(
        """(text) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], "staff.csv", { type: "text/csv" }));
            return transfer;
        }""",
        USERS_FIXED,
    )
    page.dispatch_event(".dropzone", "drop", {"dataTransfer": dropped})
    expect(page.locator(".detected-template")).to_have_text("users")
    page.get_by_role("button", name="Upload and import").click()
    expect(page.locator(".badge")).to_have_text("Processed")
    expect(page.locator(".summary")).to_have_text("Imported. Every row went through.")
    expect(page.locator(".counts .count", has_text="Created").locator("dd")).to_have_text("2")
    expect(page.locator(".counts .count", has_text="Unchanged").locator("dd")).to_have_text("1")
    expect(page.locator(".counts .count", has_text="Failed").locator("dd")).to_have_text("0")
    expect(page.get_by_text("No messages: every line was fine.")).to_be_visible()

    # Both imports in the list, newest first.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    rows = page.locator("table.imports tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td").nth(7)).to_have_text("0")
    expect(rows.nth(1).locator("td").nth(7)).to_have_text("2")
    expect(rows.nth(1).locator("td").nth(0)).to_have_text("Processed")
    expect(rows.nth(1).locator("td").nth(2)).to_have_text("users")


def test_options_and_a_header_that_fits_no_template(
    page: Page, server: LoadbayServer, client: dict[str, str]
) -> None:
    sign_in(page, server, client)
    page.goto(server.url + "/#/upload")
    file_input = page.get_by_label("Choose a file…")

    file_input.set_input_files(
        {"name": "users.xlsx", "mimeType": "application/octet-stream", "buffer": b"PK"}
    )
    expect(page.get_by_role("alert")).to_contain_text("users.xlsx is not a .csv file")
    expect(page.get_by_role("button", name="Upload and import")).to_be_disabled()

    file_input.set_input_files(csv_file("user_username,favourite_colour\njdoe,blue\n", "odd.csv"))
    expect(page.locator(".detection")).to_contain_text("The header fits no template.")
    expect(page.locator(".problems li").first).to_be_visible()

    file_input.set_input_files(csv_file(USERS_WITH_MISTAKES, "checked.csv"))
    expect(page.locator(".detected-template")).to_have_text("users")
    page.get_by_label("Dry run").check()
    page.get_by_label("Abort on any error").check()
    page.get_by_role("button", name="Upload and import").click()
    expect(page.locator(".badge")).not_to_have_text("Pending")
    expect(page.locator(".badge-slot .tag")).to_have_text("Dry run")
    details = page.locator(".details")
    expect(details.locator("div", has_text="On error")).to_contain_text("Abort the whole file")
    expect(page.locator(".counts .count", has_text="Failed").locator("dd")).not_to_have_text("0")


def test_sign_in_failure_is_explained(page: Page, server: LoadbayServer) -> None:
    page.goto(server.url + "/")
    page.get_by_label("Client ID").fill("lb_nobody")
    page.get_by_label("Client secret").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Sign-in failed: the client ID or secret is wrong, or the client was revoked."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Loadbay")


def test_keyboard_only_sign_in_and_sign_out_leave_no_token_behind(
    page: Page, server: LoadbayServer, client: dict[str, str]
) -> None:
    page.goto(server.url + "/#/upload")
    # A page that needs a session sends to sign-in first, with the cursor in the first field.
    expect(page.get_by_label("Client ID")).to_be_focused()
    page.keyboard.type(client["client_id"])
    page.keyboard.press("Tab")
    page.keyboard.type(client["client_secret"])
    page.keyboard.press("Enter")
    # ...and comes back to where the person was going, focus on its heading.
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload a file")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    stored = page.evaluate("() => [localStorage.length, sessionStorage.length, document.cookie]")
    assert stored == [0, 0, ""]

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Loadbay")
    expect(page.get_by_role("alert")).to_contain_text("You signed out")
    page.goto(server.url + "/#/imports")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Loadbay")

    # A reload forgets the token too.
    sign_in(page, server, client)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Loadbay")


def test_api_errors_are_shown_as_sentences(page: Page, server: LoadbayServer, client: dict[str, str]) -> None:
    sign_in(page, server, client)
    page.goto(server.url + "/#/imports/00000000-0000-0000-0000-000000000000")
    expect(page.get_by_role("alert")).to_have_text(
        "Reference ID not found. File not found in pending bucket."
    )
    page.goto(server.url + "/#/no-such-page")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")


def _choose_big_file(page: Page, size: int) -> None:
    header = "user_username,user_name,user_password,user_email,user_organizationId\n"
    row = "someone,Some One,Str0ng#Pass,someone@example.org,root\n"
    page.get_by_label("Choose a file…").set_input_files(
        csv_file(header + row * (size // len(row) + 1), "big.csv")
    )


def test_a_file_over_the_limit_is_refused_before_it_is_sent(
    page: Page, server: LoadbayServer, client: dict[str, str]
) -> None:
    sign_in(page, server, client)
    page.goto(server.url + "/#/upload")
    expect(page.locator(".dropzone")).to_contain_text("Up to 256 KB.")
    _choose_big_file(page, UPLOAD_LIMIT + 1024)
    expect(page.get_by_role("alert")).to_have_text(
        "File too large: big.csv is 257 KB; this server accepts files up to 256 KB. "
        "Split the file and upload each part."
    )
    expect(page.get_by_role("button", name="Upload and import")).to_be_disabled()


def _send_without_knowing_the_limit(
    page: Page, server: LoadbayServer, client: dict[str, str], size: int
) -> None:
    """Upload as to a server too old to tell its limit, so the file is sent and the server refuses it."""
    sign_in(page, server, client)
    page.route("**/api/v1/limits", lambda route: route.abort("connectionrefused"))
    page.goto(server.url + "/#/upload")
    _choose_big_file(page, size)
    page.get_by_role("button", name="Upload and import").click()


def test_the_servers_413_is_shown_when_the_limit_is_unknown(
    page: Page, server: LoadbayServer, client: dict[str, str]
) -> None:
    _send_without_knowing_the_limit(page, server, client, UPLOAD_LIMIT + 1024)
    expect(page.get_by_role("alert")).to_have_text(
        "File too large: the limit is 262144 bytes (256 KB). Split the file and upload each part."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload a file")
    expect(page.get_by_role("button", name="Upload and import")).to_be_enabled()


def test_a_connection_cut_mid_upload_is_explained(
    page: Page, server: LoadbayServer, client: dict[str, str]
) -> None:
    # A server past its limit may close the connection before the browser reads the 413.
    # The network is cut here on purpose; the console asks /healthz whether the server is still up.
    page.route("**/api/v1/upload", lambda route: route.abort("connectionreset"))
    _send_without_knowing_the_limit(page, server, client, 300 * 1024)
    expect(page.get_by_role("alert")).to_have_text(
        "File too large: big.csv is 300 KB and the server stopped receiving it, as it does past its "
        "upload limit. Split the file into smaller parts and upload each one."
    )
    page.route("**/healthz", lambda route: route.abort("connectionrefused"))
    page.get_by_role("button", name="Upload and import").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Cannot reach Loadbay. Check that the server is running and that this computer is online, then try again."
    )


def test_templates_need_no_sign_in(page: Page, server: LoadbayServer) -> None:
    page.goto(server.url + "/#/templates")
    expect(page.get_by_role("heading", level=1)).to_have_text("Templates")
    users = page.locator("section#template-users")
    expect(users.get_by_role("heading", level=3)).to_have_text("users")
    expect(users.locator("table.columns tbody tr", has_text="user_username")).to_contain_text("Required")
    expect(users.locator("table.columns tbody tr", has_text="user_password")).to_contain_text(
        "Required for new records"
    )
    link = users.get_by_role("link", name="Download users.csv")
    assert link.get_attribute("href") == "/api/v1/templates/users.csv"
    for name in ("organizations", "groups", "link-existing-user-to-groups", "Transactions"):
        expect(page.locator(f"section#template-{name}")).to_be_visible()
    # Rostering first: the files this console uploads.
    expect(page.get_by_role("heading", level=2).first).to_have_text("Rostering")
    page.get_by_role("navigation", name="Templates on this page").get_by_role(
        "link", name="groups", exact=True
    ).click()
    expect(page.locator("#template-groups-heading")).to_be_focused()
    with page.expect_download() as download_info:
        link.click()
    assert Path(download_info.value.path()).read_text().startswith("user_username,")


def test_a_revoked_client_returns_to_sign_in(page: Page, server: LoadbayServer) -> None:
    client = server.create_client("district-revoked")
    sign_in(page, server, client)
    done = server.cli("clients", "revoke", client["client_id"])
    assert done.returncode == 0, done.stderr
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Templates").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Loadbay")
    expect(page.get_by_role("alert")).to_have_text("Your session expired; sign in again.")


def test_the_import_page_fits_a_phone(phone: Page, server: LoadbayServer, client: dict[str, str]) -> None:
    sign_in(phone, server, client)
    phone.goto(server.url + "/#/upload")
    phone.get_by_label("Choose a file…").set_input_files(csv_file(USERS_WITH_MISTAKES, "phone.csv"))
    phone.get_by_role("button", name="Upload and import").click()
    expect(phone.locator(".badge")).to_have_text("Processed")
    expect(phone.locator("table.messages tbody tr")).to_have_count(3)
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 375
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    expect(phone.locator("table.imports tbody tr").first).to_be_visible()
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 375


def test_a_console_that_cannot_start_says_so_instead_of_going_blank(
    page: Page, server: LoadbayServer
) -> None:
    page.route("**/console/js/views/import.js", lambda route: route.abort("connectionreset"))
    page.goto(server.url + "/")
    crash = page.locator("#crash")
    expect(crash).to_be_visible()
    expect(crash).to_contain_text("A file of the console could not be loaded")
    expect(crash.get_by_role("link", name="Reload the console")).to_be_visible()


def test_an_answer_the_console_does_not_understand_is_reported(page: Page, server: LoadbayServer) -> None:
    page.route("**/api/v1/templates", lambda route: route.fulfill(json={"items": None}))
    page.goto(server.url + "/#/templates")
    expect(page.get_by_role("alert")).to_contain_text("Unexpected error")
    expect(page.get_by_role("heading", level=1)).to_have_text("Templates")


def test_a_partial_update_shows_what_it_sets_and_warnings_apart_from_errors(
    page: Page, server: LoadbayServer, client: dict[str, str]
) -> None:
    sign_in(page, server, client)
    page.goto(server.url + "/#/upload")
    file_input = page.get_by_label("Choose a file…")
    full = (
        "user_username,user_password,user_organizationId\npart1,Wonder#land1,root\npart2,Wonder#land1,root\n"
    )
    file_input.set_input_files(csv_file(full, "full.csv"))
    expect(page.locator(".detected-template")).to_have_text("users")
    page.get_by_role("button", name="Upload and import").click()
    expect(page.locator(".badge")).to_have_text("Processed")

    # Before the import starts, the page says which columns the file sets and which it keeps.
    page.goto(server.url + "/#/upload")
    partial = "user_username,user_name,user_active\npart1,One,1\npart2,Two,MAYBE\n"
    page.get_by_label("Choose a file…").set_input_files(csv_file(partial, "partial.csv"))
    expect(page.locator(".detected-template")).to_have_text("users")
    expect(page.locator(".detected-key")).to_have_text("Key: user_username")
    expect(page.locator(".detected-changes")).to_have_text("The file sets: user_name, user_active")
    expect(page.locator(".detected-keeps")).to_contain_text("user_password, user_email")
    page.get_by_role("button", name="Upload and import").click()
    expect(page.locator(".badge")).to_have_text("Processed")
    expect(page.locator(".counts .count", has_text="Updated").locator("dd")).to_have_text("1")

    # Line 2's 1 was written with a warning; line 3's MAYBE kept the row out. The filter asks for each.
    rows = page.locator("table.messages tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td").nth(3)).to_have_text("Warning: written")
    expect(rows.nth(1).locator("td").nth(3)).to_have_text("Error: not written")
    severity = page.get_by_label("Show", exact=True)
    severity.select_option("warning")
    expect(rows).to_have_count(1)
    expect(rows.nth(0).locator("td").nth(0)).to_have_text("2")
    severity.select_option("error")
    expect(rows).to_have_count(1)
    expect(rows.nth(0).locator("td").nth(0)).to_have_text("3")
    severity.select_option("")
    expect(rows).to_have_count(2)


def test_a_full_sync_deactivates_what_the_file_left_out_and_says_so(
    page: Page, server: LoadbayServer
) -> None:
    # A tenant of its own: the sync sees only its groups.
    sign_in(page, server, server.create_client("district-sync"))
    groups = "group_name,group_organizationId\n" + "".join(f"g{n},root\n" for n in range(10))
    page.goto(server.url + "/#/upload")
    page.get_by_label("Choose a file…").set_input_files(csv_file(groups, "groups.csv"))
    page.get_by_role("button", name="Upload and import").click()
    expect(page.locator(".badge")).to_have_text("Processed")

    page.goto(server.url + "/#/upload")
    # g0 and g1 left out: 20%, over the default threshold until it is raised.
    page.get_by_label("Choose a file…").set_input_files(
        csv_file(groups.replace("g0,root\ng1,root\n", ""), "all.csv")
    )
    expect(page.get_by_label("Change threshold (%)")).to_be_disabled()
    page.get_by_label("Full sync").check()
    page.get_by_label("Change threshold (%)").fill("25")
    page.get_by_role("button", name="Upload and import").click()
    expect(page.locator(".badge")).to_have_text("Processed")
    expect(page.locator(".counts .count", has_text="Deactivated").locator("dd")).to_have_text("2")
    expect(page.locator(".details div", has_text="Mode")).to_contain_text("Full sync (change threshold 25%)")
