"""Drive the console in Debian's Chromium: launch it, start a server for it, sign in."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, Playwright, expect

from tests.e2e.server import LoadbayServer

# Debian's package, never a browser that playwright downloads: CI machines may be offline.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_SKIP_REASON = (
    f"Browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium; .ci/run installs it)"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

USERS_WITH_MISTAKES = (
    "user_username,user_name,user_password,user_email,user_role,user_organizationId\n"
    "jdoe,John Doe,Str0ng#Pass,jdoe@example.org,ADMIN,root\n"
    "asmith,Ann Smith,weak,not-an-email,,root\n"
    "bking,Bob King,Str0ng#Pass,bob@example.org,KING,root\n"
)
USERS_FIXED = (
    "user_username,user_name,user_password,user_email,user_role,user_organizationId\n"
    "jdoe,John Doe,Str0ng#Pass,jdoe@example.org,ADMIN,root\n"
    "asmith,Ann Smith,Str0ng#Pass,ann@example.org,,root\n"
    "bking,Bob King,Str0ng#Pass,bob@example.org,SUPPORT,root\n"
)


def launch_chromium(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def start_server(data_dir: Path, **env: str) -> LoadbayServer:
    """A real ``loadbay serve`` on SQLite: the console does not care which database is behind it."""
    return LoadbayServer(
        data_dir=data_dir / "data", database_url=f"sqlite:///{data_dir / 'loadbay.db'}"
    ).start(**env)


def sign_in(page: Page, server: LoadbayServer, client: dict[str, str]) -> None:
    page.goto(server.url + "/")
    page.get_by_label("Client ID").fill(client["client_id"])
    page.get_by_label("Client secret").fill(client["client_secret"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Imports")


def csv_file(text: str, name: str = "users.csv") -> dict[str, object]:
    """A file for ``set_input_files`` without touching the disk."""
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode()}
