"""One Chromium for every browser test; a fresh browser context (no token, no storage) per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from tests.web.console import CHROMIUM, CHROMIUM_SKIP_REASON, launch_chromium


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    # Package scope: the browser's event loop is gone before the rest of the suite runs.
    if not Path(CHROMIUM).exists():
        pytest.skip(CHROMIUM_SKIP_REASON)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


def _page(browser: Browser, width: int, height: int) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": width, "height": height},
        accept_downloads=True,
        locale="en-US",
        timezone_id="Europe/Paris",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            problems.append(f"CSP: {message.text}")

    page.on("console", on_console)
    yield page
    context.close()
    # A script error or a CSP violation fails the test that caused it, even if the page looked fine.
    assert problems == []


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A laptop-sized page."""
    yield from _page(browser, 1280, 860)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A phone-sized page (375 CSS pixels wide)."""
    yield from _page(browser, 375, 740)
