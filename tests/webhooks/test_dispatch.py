"""Deliveries to a real receiver process that verifies them with ``standardwebhooks``."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import closing
from typing import Any

from sqlalchemy import select, update

from loadbay.db import transaction
from loadbay.models import WebhookDelivery
from loadbay.webhooks.dispatch import Dispatcher
from loadbay.webhooks.service import claim_due_delivery
from tests.conftest import ApiUser, counts
from tests.webhooks.receiver import Receiver

GROUPS = "group_name,group_description,group_organizationId\ng1,First,root\ng2,Second,nowhere\n"


def _hooked(api: ApiUser, receiver: Receiver) -> str:
    api.runtime.settings.webhook_allow_private = True
    response = api.http.post("/api/v1/webhooks", headers=api.headers, json={"url": receiver.url})
    assert response.status_code == 201, response.text
    receiver.trust(response.json()["secret"])
    return str(response.json()["id"])


def _log(api: ApiUser, endpoint_id: str) -> list[dict[str, Any]]:
    response = api.http.get(f"/api/v1/webhooks/{endpoint_id}/deliveries", headers=api.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _due_now(api: ApiUser) -> None:
    """The back-off has passed: the next attempt is due."""
    with transaction(api.runtime.write_sessions) as session:
        session.execute(update(WebhookDelivery).values(next_attempt_at=time.time() - 1))


def test_an_ended_import_is_delivered_signed_with_its_counts_and_result_url(
    rostering: ApiUser, receiver_factory: Callable[..., Receiver]
) -> None:
    receiver = receiver_factory()
    endpoint_id = _hooked(rostering, receiver)
    status = rostering.import_file(GROUPS)
    with closing(Dispatcher(rostering.runtime)) as dispatcher:
        assert dispatcher.run_once() is True
        assert dispatcher.run_once() is False
    [request] = receiver.received()
    assert request["verified"] is True
    assert request["status"] == 200
    event = request["event"]
    assert event["type"] == "import.processed"
    data = event["data"]
    assert data["referenceId"] == status["referenceId"]
    assert (data["status"], data["importType"], data["scope"]) == ("processed", "groups", "rostering")
    assert data["counts"] == counts(created=1, failed=1)
    # The result URL is signed afresh for the event and downloads the result file.
    path = data["resultUrl"].split("http://testserver", 1)[1]
    download = rostering.http.get(path)
    assert download.status_code == 200
    assert "g2" in download.text
    assert data["resultUrlExpiresIn"] == rostering.runtime.settings.signed_url_ttl_seconds
    [delivery] = _log(rostering, endpoint_id)
    assert (delivery["id"], delivery["status"], delivery["attempts"]) == (request["id"], "delivered", 1)
    [attempt] = delivery["attemptLog"]
    assert (attempt["number"], attempt["statusCode"], attempt["error"]) == (1, 200, None)
    assert attempt["latencyMs"] >= 0


def test_a_failing_receiver_is_retried_later_with_the_same_message_id(
    rostering: ApiUser, receiver_factory: Callable[..., Receiver]
) -> None:
    receiver = receiver_factory(fail_first=1)
    endpoint_id = _hooked(rostering, receiver)
    rostering.import_file(GROUPS)
    with closing(Dispatcher(rostering.runtime)) as dispatcher:
        assert dispatcher.run_once() is True
        [delivery] = _log(rostering, endpoint_id)
        assert (delivery["status"], delivery["attempts"]) == ("pending", 1)
        assert delivery["attemptLog"][0]["statusCode"] == 500
        assert delivery["attemptLog"][0]["error"] == "HTTP 500: no"
        # Backed off: nothing is due until the wait has passed.
        assert delivery["nextAttemptAt"] is not None
        assert dispatcher.run_once() is False
        _due_now(rostering)
        assert dispatcher.run_once() is True
    first, second = receiver.received()
    assert first["id"] == second["id"]
    assert [first["status"], second["status"]] == [500, 200]
    [delivery] = _log(rostering, endpoint_id)
    assert (delivery["status"], [a["statusCode"] for a in delivery["attemptLog"]]) == (
        "delivered",
        [500, 200],
    )


def test_a_delivery_whose_dispatcher_died_mid_attempt_is_sent_once_its_lease_runs_out(
    rostering: ApiUser, receiver_factory: Callable[..., Receiver]
) -> None:
    receiver = receiver_factory()
    endpoint_id = _hooked(rostering, receiver)
    rostering.import_file(GROUPS)
    # A dispatcher claimed it and was killed before it recorded anything.
    with transaction(rostering.runtime.write_sessions) as session:
        assert claim_due_delivery(session, worker_id="host:1:dead", lease_seconds=60) is not None
    with closing(Dispatcher(rostering.runtime)) as dispatcher:
        assert dispatcher.run_once() is False
        with transaction(rostering.runtime.write_sessions) as session:
            session.execute(update(WebhookDelivery).values(lease_expires_at=time.time() - 1))
        assert dispatcher.run_once() is True
    [request] = receiver.received()
    assert request["status"] == 200
    [delivery] = _log(rostering, endpoint_id)
    assert (delivery["status"], delivery["attempts"]) == ("delivered", 1)


def test_a_delivery_is_given_up_once_the_retry_period_has_passed(
    rostering: ApiUser, receiver_factory: Callable[..., Receiver]
) -> None:
    receiver = receiver_factory(fail_first=100)
    endpoint_id = _hooked(rostering, receiver)
    rostering.runtime.settings.webhook_retry_hours = 0.0001  # 0.36 s
    rostering.import_file(GROUPS)
    with closing(Dispatcher(rostering.runtime)) as dispatcher:
        time.sleep(0.4)
        assert dispatcher.run_once() is True
        assert dispatcher.run_once() is False
    [delivery] = _log(rostering, endpoint_id)
    assert (delivery["status"], delivery["attempts"], delivery["nextAttemptAt"]) == ("failed", 1, None)


def test_a_target_that_turned_private_is_not_called_and_is_retried(
    rostering: ApiUser, receiver_factory: Callable[..., Receiver]
) -> None:
    receiver = receiver_factory()
    endpoint_id = _hooked(rostering, receiver)
    rostering.import_file(GROUPS)
    # As if the name had been pointed at a private address after it was registered.
    rostering.runtime.settings.webhook_allow_private = False
    with closing(Dispatcher(rostering.runtime)) as dispatcher:
        assert dispatcher.run_once() is True
    assert receiver.received() == []
    [delivery] = _log(rostering, endpoint_id)
    assert delivery["status"] == "pending"
    [attempt] = delivery["attemptLog"]
    assert attempt["statusCode"] is None
    assert "a private, loopback or reserved address" in attempt["error"]


def test_cancelled_and_failed_imports_are_events_and_scopes_decide_who_hears(
    rostering: ApiUser, receiver_factory: Callable[..., Receiver]
) -> None:
    receiver = receiver_factory()
    _hooked(rostering, receiver)
    payments = ApiUser.create(rostering.http, rostering.runtime, scopes=("payments",))
    other = receiver_factory()
    payments_hook = payments.http.post("/api/v1/webhooks", headers=payments.headers, json={"url": other.url})
    other.trust(payments_hook.json()["secret"])
    pending = str(rostering.upload(GROUPS)["referenceId"])
    assert (
        rostering.http.post(f"/api/v1/imports/{pending}/cancel", headers=rostering.headers).status_code == 200
    )
    # A file that cannot be read fails as a whole.
    rostering.import_file('group_name,group_organizationId\ng1,"unclosed\n')
    with closing(Dispatcher(rostering.runtime)) as dispatcher:
        while dispatcher.run_once():
            pass
    types = [r["event"]["type"] for r in receiver.received()]
    assert types[0] == "import.cancelled"
    assert "import.failed" in types
    # The payments-only endpoint hears of no rostering import.
    assert other.received() == []
    with rostering.runtime.sessions() as session:
        assert len(session.scalars(select(WebhookDelivery)).all()) == len(types)


def test_no_cookie_a_receiver_sets_is_sent_back(
    rostering: ApiUser, receiver_factory: Callable[..., Receiver]
) -> None:
    receiver = receiver_factory(fail_first=1)
    _hooked(rostering, receiver)
    rostering.import_file(GROUPS)
    with closing(Dispatcher(rostering.runtime)) as dispatcher:
        assert dispatcher.run_once() is True
        _due_now(rostering)
        assert dispatcher.run_once() is True
    assert [(r["status"], r["cookie"]) for r in receiver.received()] == [(500, None), (200, None)]


def test_a_receiver_that_trickles_its_answer_is_cut_off_at_the_deadline(
    rostering: ApiUser, receiver_factory: Callable[..., Receiver]
) -> None:
    receiver = receiver_factory(fail_first=100, trickle=True)
    endpoint_id = _hooked(rostering, receiver)
    rostering.runtime.settings.webhook_timeout_seconds = 0.5
    rostering.import_file(GROUPS)
    with closing(Dispatcher(rostering.runtime)) as dispatcher:
        started = time.monotonic()
        assert dispatcher.run_once() is True
    # Each byte came within the read timeout; the attempt as a whole still ended at 2 x 0.5 s.
    assert time.monotonic() - started < 5
    [delivery] = _log(rostering, endpoint_id)
    [attempt] = delivery["attemptLog"]
    assert (attempt["statusCode"], attempt["error"]) == (None, "no complete answer within 1 s")
    assert delivery["status"] == "pending"


def test_an_idle_dispatcher_does_not_wait_for_the_write_lock(rostering: ApiUser) -> None:
    """With nothing due, a poll only reads: on SQLite it neither queues behind nor holds up an
    import's writes, which hold the database's write lock for a whole checkpoint."""
    with closing(Dispatcher(rostering.runtime)) as dispatcher, rostering.runtime.write_sessions() as writer:
        # An import's writer holds the write lock (on PostgreSQL: a transaction that wrote).
        writer.execute(update(WebhookDelivery).values(lease_owner=None))
        started = time.monotonic()
        assert dispatcher.run_once() is False
        assert time.monotonic() - started < 2
        writer.rollback()
