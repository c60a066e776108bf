"""Overload is answered 503 with Retry-After, never 500 (the operations issue's first fault)."""

from pathlib import Path

from fastapi.testclient import TestClient

from loadbay.app import create_app
from loadbay.errors import BUSY_MESSAGE
from loadbay.migrate import upgrade
from tests.conftest import make_settings, new_client, token_for


def test_a_request_that_finds_every_connection_busy_is_told_to_retry(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path / "data", database_url, db_pool_size=1, db_pool_timeout=0.2)
    app = create_app(settings, workers=0)
    runtime = app.state.runtime
    upgrade(runtime.engine)
    with TestClient(app) as http:
        token = token_for(http, new_client(runtime))
        # Another request (here: this test) holds the only connection throughout.
        with runtime.engine.connect():
            response = http.get("/api/v1/imports", headers={"Authorization": f"Bearer {token}"})
        assert (response.status_code, response.json()) == (503, {"message": BUSY_MESSAGE})
        assert response.headers["Retry-After"] == "5"
        # Once it is free again the same request is served.
        assert http.get("/api/v1/imports", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_nul_character_is_a_400_on_every_database(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path / "data", database_url)
    app = create_app(settings, workers=0)
    upgrade(app.state.runtime.engine)
    with TestClient(app) as http:
        token = token_for(http, new_client(app.state.runtime))
        answer = http.post(
            "/api/v1/oauth2/tokens",
            data={"grant_type": "client_credentials", "client_id": "a\\x00b", "client_secret": "x"},
        )
        assert answer.status_code in (400, 401), answer.text
        answer = http.get("/api/v1/webhooks/a%00b", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code in (400, 404), answer.text
