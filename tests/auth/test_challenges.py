"""RFC 6750 §3.1 challenges: no error code without a token, invalid_token for a bad one,
insufficient_scope (with the scope wanted) for a token that lacks it; the bodies stay the seeds'."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import ApiUser


def test_no_token_gets_a_bare_challenge(app_client: TestClient) -> None:
    response = app_client.get("/api/v1/status/00000000-0000-0000-0000-000000000000")
    assert (response.status_code, response.text) == (401, "Access Denied")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="loadbay"'


def test_an_invalid_token_is_named_so(app_client: TestClient) -> None:
    response = app_client.get("/api/v1/imports", headers={"Authorization": "Bearer not-a-token"})
    assert (response.status_code, response.text) == (401, "Access Denied")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="loadbay", error="invalid_token"'


def test_a_token_without_the_scope_is_told_which_scope(rostering: ApiUser) -> None:
    payments = ApiUser.create(rostering.http, rostering.runtime, scopes=("payments",))
    response = payments.http.post(
        "/api/v1/upload", headers=payments.headers, files={"file": ("g.csv", b"group_name\ng\n", "text/csv")}
    )
    assert (response.status_code, response.json()) == (403, {"message": "Insufficient scope"})
    assert response.headers["WWW-Authenticate"] == (
        'Bearer realm="loadbay", error="insufficient_scope", scope="rostering"'
    )
    batches = rostering.http.get("/api/adm/companies", headers=rostering.headers)
    assert batches.status_code == 403
    assert batches.headers["WWW-Authenticate"] == (
        'Bearer realm="loadbay", error="insufficient_scope", scope="payments"'
    )
