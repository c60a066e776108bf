"""/api/v1/webhooks: register (the secret shown once), list, show, delete; refusals explained."""

from __future__ import annotations

import base64

from loadbay.auth.service import revoke_client
from loadbay.db import transaction
from loadbay.models import WebhookDelivery, WebhookEndpoint
from loadbay.webhooks.service import signing_secret
from tests.conftest import ApiUser

HOOK = "http://127.0.0.1:9/hooks/loadbay"


def _register(api: ApiUser, url: str = HOOK) -> tuple[int, dict[str, object]]:
    response = api.http.post("/api/v1/webhooks", headers=api.headers, json={"url": url})
    return response.status_code, response.json()


def test_register_shows_the_secret_once_then_list_show_and_delete(rostering: ApiUser) -> None:
    rostering.runtime.settings.webhook_allow_private = True
    response = rostering.http.post("/api/v1/webhooks", headers=rostering.headers, json={"url": HOOK})
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    created = response.json()
    assert created["url"] == HOOK
    assert created["scopes"] == ["rostering"]
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    # Nothing the API answers afterwards holds it, nor does the database.
    listed = rostering.http.get("/api/v1/webhooks", headers=rostering.headers).json()
    assert listed == {"items": [{k: v for k, v in created.items() if k != "secret"}]}
    shown = rostering.http.get(f"/api/v1/webhooks/{created['id']}", headers=rostering.headers)
    assert "secret" not in shown.json()
    with rostering.runtime.engine.connect() as connection:
        dump = "\n".join(str(row) for row in connection.exec_driver_sql("SELECT * FROM webhook_endpoints"))
    assert secret not in dump
    assert secret.removeprefix("whsec_") not in dump

    deleted = rostering.http.delete(f"/api/v1/webhooks/{created['id']}", headers=rostering.headers)
    assert deleted.status_code == 204
    gone = rostering.http.get(f"/api/v1/webhooks/{created['id']}", headers=rostering.headers)
    assert (gone.status_code, gone.json()) == (404, {"message": "Webhook endpoint not found."})
    assert (
        rostering.http.delete(f"/api/v1/webhooks/{created['id']}", headers=rostering.headers).status_code
        == 404
    )


def test_each_endpoint_has_its_own_secret(rostering: ApiUser) -> None:
    rostering.runtime.settings.webhook_allow_private = True
    first, second = _register(rostering)[1], _register(rostering)[1]
    assert first["secret"] != second["secret"]


def test_another_tenant_and_a_narrower_client_do_not_see_an_endpoint(rostering: ApiUser) -> None:
    rostering.runtime.settings.webhook_allow_private = True
    created = _register(rostering)[1]
    other = ApiUser.create(rostering.http, rostering.runtime, tenant="district-b")
    payments = ApiUser.create(rostering.http, rostering.runtime, scopes=("payments",))
    for outsider in (other, payments):
        answer = outsider.http.get(f"/api/v1/webhooks/{created['id']}", headers=outsider.headers)
        assert answer.status_code == 404
        assert outsider.http.get("/api/v1/webhooks", headers=outsider.headers).json() == {"items": []}
        assert (
            outsider.http.delete(f"/api/v1/webhooks/{created['id']}", headers=outsider.headers).status_code
            == 404
        )


def test_private_and_loopback_targets_are_refused_by_default(rostering: ApiUser) -> None:
    code, body = _register(rostering)
    assert code == 422
    assert body["message"] == (
        "The webhook URL's host 127.0.0.1 resolves to 127.0.0.1, a private, loopback or reserved "
        "address; Loadbay calls those only when LOADBAY_WEBHOOK_ALLOW_PRIVATE=true."
    )
    assert rostering.http.get("/api/v1/webhooks", headers=rostering.headers).json() == {"items": []}


def test_bad_bodies_are_refused_with_what_to_send(rostering: ApiUser) -> None:
    expected = 'Send the endpoint as JSON: {"url": "https://example.org/hooks/loadbay"}.'
    bodies = (b"", b"not json", b"[]", b'{"url": 5}', b'{"url": "  "}', b'{"href": "x"}', b"[" * 5000)
    for content in (*bodies, b'{"url": "' + b"x" * 9000 + b'"}'):
        response = rostering.http.post("/api/v1/webhooks", headers=rostering.headers, content=content)
        assert (response.status_code, response.json()) == (400, {"message": expected}), content
    assert _register(rostering, "mailto:ops@example.org")[0] == 422


def test_a_tenant_may_register_a_bounded_number_of_endpoints(rostering: ApiUser) -> None:
    settings = rostering.runtime.settings
    settings.webhook_allow_private, settings.webhook_max_endpoints = True, 2
    assert [_register(rostering)[0] for _ in range(2)] == [201, 201]
    code, body = _register(rostering)
    assert (code, body) == (
        409,
        {"message": "The tenant has 2 webhook endpoints, the most allowed; delete one first."},
    )


def test_the_secret_is_made_again_from_the_server_key_and_the_salt(rostering: ApiUser) -> None:
    rostering.runtime.settings.webhook_allow_private = True
    created = _register(rostering)[1]
    with rostering.runtime.sessions() as session:
        endpoint = session.get(WebhookEndpoint, created["id"])
        assert endpoint is not None
        assert signing_secret(rostering.runtime.settings, endpoint) == created["secret"]


def test_webhooks_need_a_token(rostering: ApiUser) -> None:
    response = rostering.http.get("/api/v1/webhooks")
    assert response.status_code == 401


def test_odd_queries_and_urls_are_400s_not_500s(rostering: ApiUser) -> None:
    rostering.runtime.settings.webhook_allow_private = True
    endpoint = _register(rostering)[1]["id"]
    deliveries = f"/api/v1/webhooks/{endpoint}/deliveries"
    for query in ("limit=²", "limit=0", "limit=abc", "cursor=" + "W" * 40, "cursor=" + "WwW" * 2000):
        response = rostering.http.get(f"{deliveries}?{query}", headers=rostering.headers)
        assert response.status_code == 400, (query, response.text)
    code, body = _register(rostering, "http://[::1/hook")
    assert (code, body["message"]) == (
        422,
        "The webhook URL cannot be read (check its brackets and its port, 1 to 65535).",
    )


def test_a_revoked_clients_endpoint_hears_of_nothing(rostering: ApiUser) -> None:
    rostering.runtime.settings.webhook_allow_private = True
    assert _register(rostering)[0] == 201
    colleague = ApiUser.create(rostering.http, rostering.runtime)
    with transaction(rostering.runtime.write_sessions) as session:
        assert revoke_client(session, client_id=rostering.credentials.client_id)
    colleague.import_file("group_name,group_organizationId\ng1,root\n")
    with rostering.runtime.sessions() as session:
        assert session.query(WebhookDelivery).count() == 0
