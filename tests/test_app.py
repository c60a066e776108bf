"""Behaviour of the app as a whole: health, readiness, an unreachable database."""

from pathlib import Path

from fastapi.testclient import TestClient

from loadbay.app import create_app
from loadbay.config import Settings
from tests.conftest import make_settings


def test_healthz_and_readyz(app_client: TestClient) -> None:
    assert app_client.get("/healthz").json() == {"status": "ok"}
    ready = app_client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}


def test_unreachable_database_answers_503_and_not_ready(tmp_path: Path) -> None:
    # Port 1 on loopback: nothing listens there, so every connection is refused.
    settings: Settings = make_settings(tmp_path, "postgresql://postgres@127.0.0.1:1/loadbay")
    app = create_app(settings, workers=0)
    with TestClient(app) as http:
        token = app.state.runtime.signer.issue(
            client_id="c", tenant_id=1, scopes=["rostering"], ttl_seconds=60
        )
        response = http.get(
            "/api/v1/status/00000000-0000-0000-0000-000000000000",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 503
        assert response.json() == {"message": "The database is unavailable; try again shortly."}
        assert response.headers["retry-after"] == "5"
        ready = http.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable"
        assert "database" in ready.json()
