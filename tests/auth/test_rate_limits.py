"""Token requests are rate limited before any secret is hashed (issue 16: an unauthenticated
flood of wrong secrets burned the server's CPU on argon2)."""

from __future__ import annotations

from typing import Any

import argon2
import pytest
from fastapi.testclient import TestClient

from loadbay.runtime import Runtime
from tests.conftest import Credentials, new_client


class HashCounter:
    """Counts argon2 verifications (the library's, called through): the work a request forced."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        verify = argon2.PasswordHasher.verify

        def counting(hasher: argon2.PasswordHasher, *args: object, **kwargs: object) -> bool:
            self.calls += 1
            return verify(hasher, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(argon2.PasswordHasher, "verify", counting)


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> HashCounter:
    return HashCounter(monkeypatch)


def _token(http: TestClient, credentials: Credentials, secret: str | None = None) -> Any:
    return http.post(
        "/api/v1/oauth2/tokens",
        data={
            "grant_type": "client_credentials",
            "client_id": credentials.client_id,
            "client_secret": secret or credentials.client_secret,
        },
    )


def test_a_burst_of_wrong_secrets_is_refused_429_without_hashing(
    app_client: TestClient, app_runtime: Runtime, hashes: HashCounter
) -> None:
    credentials = new_client(app_runtime)
    answers = [_token(app_client, credentials, "wrong") for _ in range(30)]
    codes = [a.status_code for a in answers]
    # The default allows 10 attempts a minute per client id; the other 20 cost no hash at all.
    assert codes == [401] * 10 + [429] * 20
    assert hashes.calls == 10
    refused = answers[-1]
    assert refused.json()["error"] == "temporarily_unavailable"
    assert "retry in" in refused.json()["error_description"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["Cache-Control"] == "no-store"
    # From this address the right secret waits too: here a guess and the client look the same.
    assert _token(app_client, credentials).status_code == 429
    # Another client is not held up by this one's flood; nor is this client elsewhere: a
    # stranger who knows a client id cannot lock the client out.
    other = new_client(app_runtime, tenant="district-b")
    assert _token(app_client, other).status_code == 200
    with TestClient(app_client.app, client=("10.1.2.3", 40000)) as elsewhere:
        assert _token(elsewhere, credentials).status_code == 200


def test_a_success_starts_the_clients_count_again(app_client: TestClient, app_runtime: Runtime) -> None:
    credentials = new_client(app_runtime)
    for _ in range(3):
        for _ in range(9):
            assert _token(app_client, credentials, "wrong").status_code == 401
        assert _token(app_client, credentials).status_code == 200


def test_one_address_spraying_many_client_ids_is_limited(
    app_client: TestClient, app_runtime: Runtime
) -> None:
    settings = app_runtime.settings
    settings.token_address_attempts_per_minute = 5
    codes = [
        app_client.post(
            "/api/v1/oauth2/tokens",
            data={"grant_type": "client_credentials", "client_id": f"guess-{n}", "client_secret": "x"},
        ).status_code
        for n in range(8)
    ]
    assert codes == [401] * 5 + [429] * 3
