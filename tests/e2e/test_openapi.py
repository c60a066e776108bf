"""The OpenAPI document is honest (issue 16): ``schemathesis run --checks all`` against a real
``loadbay serve`` finds nothing, with a fixed budget and seed; /docs and /redoc load nothing
from elsewhere."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import LoadbayServer
from tests.e2e.test_seeds import _token

pytestmark = pytest.mark.e2e

SCHEMATHESIS = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "schemathesis"
CONFIG = Path(__file__).with_name("schemathesis.toml")
# Generated requests come fast: rate limits would answer 429 to most of them.
UNLIMITED = {
    "LOADBAY_TOKEN_ATTEMPTS_PER_MINUTE": "1000000",
    "LOADBAY_TOKEN_ADDRESS_ATTEMPTS_PER_MINUTE": "1000000",
    "LOADBAY_UPLOADS_PER_MINUTE": "1000000",
}


def test_schemathesis_checks_all_find_nothing(
    server_factory: type[LoadbayServer], database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the OpenAPI document does not depend on the database: checked once, on SQLite")
    server = server_factory().start(**UNLIMITED)
    token = _token(server, server.create_client("district-a", "rostering", "payments", "files"))
    done = subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(CONFIG),
            "run",
            f"{server.url}/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            "all",
            "--seed",
            "1",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        # Its caches (.schemathesis, .hypothesis) go here, not into the checkout.
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert re.search(r"Tested: (\d+)", done.stdout) is not None


def test_the_docs_pages_load_their_assets_from_loadbay(server: LoadbayServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for page in ("/docs", "/redoc"):
            html = http.get(page).text
            assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
            assert assets, html
            for asset in assets:
                assert not asset.startswith(("http://", "https://", "//")), asset
                assert http.get(asset).status_code == 200, asset
