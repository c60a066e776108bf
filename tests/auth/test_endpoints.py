import base64

from fastapi.testclient import TestClient

from loadbay.runtime import Runtime
from tests.conftest import new_client

TOKEN_URL = "/api/v1/oauth2/tokens"


def _form(credentials: object, **extra: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": credentials.client_id,  # type: ignore[attr-defined]
        "client_secret": credentials.client_secret,  # type: ignore[attr-defined]
        **extra,
    }


def test_token_by_multipart_form_as_the_seeds_curl_sends_it(
    app_client: TestClient, app_runtime: Runtime
) -> None:
    credentials = new_client(app_runtime)
    # curl --form sends each field as its own multipart part.
    response = app_client.post(TOKEN_URL, files={k: (None, v) for k, v in _form(credentials).items()})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "rostering"
    assert body["access_token"].count(".") == 2
    assert response.headers["cache-control"] == "no-store"


def test_token_by_urlencoded_form(app_client: TestClient, app_runtime: Runtime) -> None:
    credentials = new_client(app_runtime)
    response = app_client.post(TOKEN_URL, data=_form(credentials))
    assert response.status_code == 200
    assert response.json()["access_token"]


def test_token_by_http_basic_on_the_second_spelling(app_client: TestClient, app_runtime: Runtime) -> None:
    credentials = new_client(app_runtime)
    basic = base64.b64encode(f"{credentials.client_id}:{credentials.client_secret}".encode()).decode()
    response = app_client.post(
        "/api/v1/upload/v1/oauth2/tokens",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200
    assert response.json()["token_type"] == "Bearer"


def test_quoted_values_as_pasted_from_the_seed_are_accepted(
    app_client: TestClient, app_runtime: Runtime
) -> None:
    credentials = new_client(app_runtime)
    quoted = {key: f'"{value}"' for key, value in _form(credentials).items()}
    response = app_client.post(TOKEN_URL, files={k: (None, v) for k, v in quoted.items()})
    assert response.status_code == 200


def test_wrong_secret_is_invalid_client_401_challenging_only_basic(
    app_client: TestClient, app_runtime: Runtime
) -> None:
    credentials = new_client(app_runtime)
    response = app_client.post(TOKEN_URL, data={**_form(credentials), "client_secret": "wrong"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    # A browser shows its own password dialog on a Basic challenge; form fields get none.
    assert "www-authenticate" not in response.headers
    basic = app_client.post(
        TOKEN_URL, data={"grant_type": "client_credentials"}, auth=(credentials.client_id, "wrong")
    )
    assert basic.status_code == 401
    assert basic.headers["www-authenticate"].startswith("Basic")


def test_unknown_client_is_invalid_client(app_client: TestClient) -> None:
    response = app_client.post(
        TOKEN_URL, data={"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_missing_credentials_is_invalid_client(app_client: TestClient) -> None:
    response = app_client.post(TOKEN_URL, data={"grant_type": "client_credentials"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_other_grant_type_is_unsupported(app_client: TestClient, app_runtime: Runtime) -> None:
    credentials = new_client(app_runtime)
    response = app_client.post(TOKEN_URL, data={**_form(credentials), "grant_type": "password"})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_missing_grant_type_is_invalid_request(app_client: TestClient, app_runtime: Runtime) -> None:
    credentials = new_client(app_runtime)
    form = _form(credentials)
    del form["grant_type"]
    response = app_client.post(TOKEN_URL, data=form)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_json_body_is_invalid_request(app_client: TestClient) -> None:
    response = app_client.post(TOKEN_URL, json={"grant_type": "client_credentials"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_basic_and_form_credentials_together_is_invalid_request(
    app_client: TestClient, app_runtime: Runtime
) -> None:
    credentials = new_client(app_runtime)
    basic = base64.b64encode(f"{credentials.client_id}:{credentials.client_secret}".encode()).decode()
    response = app_client.post(
        TOKEN_URL, data=_form(credentials), headers={"Authorization": f"Basic {basic}"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_scope_narrows_the_grant(app_client: TestClient, app_runtime: Runtime) -> None:
    credentials = new_client(app_runtime, scopes=("rostering", "files"))
    response = app_client.post(TOKEN_URL, data=_form(credentials, scope="files"))
    assert response.status_code == 200
    assert response.json()["scope"] == "files"


def test_scope_the_client_lacks_is_invalid_scope(app_client: TestClient, app_runtime: Runtime) -> None:
    credentials = new_client(app_runtime)
    response = app_client.post(TOKEN_URL, data=_form(credentials, scope="rostering payments"))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert "payments" in response.json()["error_description"]


def test_revoked_client_gets_no_token(app_client: TestClient, app_runtime: Runtime) -> None:
    from loadbay.auth.service import revoke_client
    from loadbay.db import transaction

    credentials = new_client(app_runtime)
    with transaction(app_runtime.write_sessions) as session:
        assert revoke_client(session, client_id=credentials.client_id)
    response = app_client.post(TOKEN_URL, data=_form(credentials))
    assert response.status_code == 401
