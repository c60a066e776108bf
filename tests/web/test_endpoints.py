"""The console's files over plain HTTP: what is served, with which headers, and what never is."""

import posixpath
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from loadbay.app import create_app
from loadbay.web.endpoints import console_assets
from tests.conftest import make_settings

STATIC = Path(__file__).parents[2] / "src" / "loadbay" / "web" / "static"


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir = tmp_path_factory.mktemp("console")
    app = create_app(make_settings(data_dir, f"sqlite:///{data_dir / 'loadbay.db'}"), workers=0)
    with TestClient(app) as client:
        yield client


def test_root_serves_the_console_page_with_locked_down_headers(http: TestClient) -> None:
    response = http.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script type="module" src="/console/js/app.js">' in response.text
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self'" in csp
    assert "connect-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/console/js/app.js", "text/javascript; charset=utf-8"),
        ("/console/console.css", "text/css; charset=utf-8"),
        ("/console/favicon.svg", "image/svg+xml"),
    ],
)
def test_assets_have_their_media_type_and_the_same_headers(
    http: TestClient, path: str, media_type: str
) -> None:
    response = http.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_an_unchanged_file_is_revalidated_with_a_304(http: TestClient) -> None:
    first = http.get("/console/js/app.js")
    etag = first.headers["etag"]
    again = http.get("/console/js/app.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    changed = http.get("/console/js/app.js", headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/console/nope.js",
        "/console/../endpoints.py",
        "/console/%2e%2e/endpoints.py",
        "/console/js/../../endpoints.py",
        "/console/",
    ],
)
def test_only_the_shipped_files_are_served(http: TestClient, path: str) -> None:
    response = http.get(path)
    assert response.status_code == 404
    assert "message" in response.json()


def test_every_file_the_page_loads_is_shipped() -> None:
    assets = console_assets()
    index = assets["index.html"].body.decode()
    referenced = set(re.findall(r'(?:src|href)="/console/([^"]+)"', index))
    assert referenced == {"favicon.svg", "console.css", "boot.js", "js/app.js"}
    for name in referenced:
        assert name in assets
    # Module imports are relative; each must name a file that exists.
    imports = 0
    for name, asset in assets.items():
        if not name.endswith(".js"):
            continue
        for target in re.findall(r'^import .* from "(\.[^"]+)";$', asset.body.decode(), re.MULTILINE):
            assert posixpath.normpath(posixpath.join(posixpath.dirname(name), target)) in assets, (
                f"{name} imports {target}"
            )
            imports += 1
    assert imports > 10


def test_the_console_never_parses_server_text_as_markup_nor_loads_from_elsewhere() -> None:
    # The data is user-supplied CSV content: it goes through textContent and attributes only.
    forbidden = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function")
    for path in STATIC.rglob("*"):
        if path.suffix not in {".js", ".html", ".css"}:
            continue
        text = path.read_text()
        assert not forbidden.search(text), path
        assert not re.search(r"https?://", text), f"{path} refers to another origin"
        assert not re.search(r"(localStorage|sessionStorage)\s*[.\[]|document\.cookie", text), path
    index = (STATIC / "index.html").read_text()
    # No inline script: every <script> has a src, so the CSP needs no 'unsafe-inline'.
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", index))
    assert "style=" not in index
