"""Completion webhooks through a real ``loadbay serve`` and a real receiver process (issue 14):
at least once, retried with back-off, and still delivered after the server is killed with -9."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from pathlib import Path

from tests.e2e.server import LoadbayServer, curl
from tests.e2e.test_seeds import _token, _wait_finished
from tests.webhooks.receiver import Receiver

GROUPS = "group_name,group_description,group_organizationId\ng1,First,root\ng2,Second,root\n"
# Fast back-off for the test: 0.25-0.5 s, then 0.5-1 s, then 1-2 s.
ENV = {"LOADBAY_WEBHOOK_ALLOW_PRIVATE": "true", "LOADBAY_WEBHOOK_RETRY_BASE_SECONDS": "0.5"}


def _register(server: LoadbayServer, token: str, receiver: Receiver) -> str:
    status, body = curl(
        f"curl --silent '{server.url}/api/v1/webhooks' --header 'Authorization: Bearer {token}' "
        f'--json \'{{"url": "{receiver.url}"}}\''
    )
    assert status == 201, body
    created = json.loads(body)
    receiver.trust(created["secret"])
    return str(created["id"])


def _upload(server: LoadbayServer, token: str, path: Path) -> str:
    path.write_text(GROUPS)
    status, body = curl(
        f"curl --silent '{server.url}/api/v1/upload' --header 'Authorization: Bearer {token}' "
        f"--form 'file=@\"{path}\"'"
    )
    assert status == 200, body
    return str(json.loads(body)["result"]["referenceId"])


def _deliveries(server: LoadbayServer, token: str, endpoint_id: str) -> list[dict[str, object]]:
    status, body = curl(
        f"curl --silent '{server.url}/api/v1/webhooks/{endpoint_id}/deliveries' "
        f"--header 'Authorization: Bearer {token}'"
    )
    assert status == 200, body
    items: list[dict[str, object]] = json.loads(body)["items"]
    return items


def _wait_for_attempts(server: LoadbayServer, token: str, endpoint_id: str, attempts: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if [d["attempts"] for d in _deliveries(server, token, endpoint_id)] == [attempts]:
            return
        time.sleep(0.05)
    raise AssertionError(f"no delivery with {attempts} attempt(s): {_deliveries(server, token, endpoint_id)}")


def _delivered(requests: list[dict[str, object]]) -> bool:
    return any(r["status"] == 200 for r in requests)


def test_a_receiver_that_fails_three_times_gets_the_event_once_after_retries(
    server_factory: type[LoadbayServer], receiver_factory: Callable[..., Receiver], tmp_path: Path
) -> None:
    server = server_factory().start(**ENV)
    token = _token(server, server.create_client())
    receiver = receiver_factory(fail_first=3)
    endpoint_id = _register(server, token, receiver)
    reference = _upload(server, token, tmp_path / "groups.csv")
    assert _wait_finished(server, token, reference)["status"] == "processed"

    requests = receiver.wait_for(_delivered)
    assert [r["status"] for r in requests] == [500, 500, 500, 200]
    assert len({r["id"] for r in requests}) == 1
    assert all(r["verified"] for r in requests)
    event = requests[-1]["event"]
    assert (event["type"], event["data"]["referenceId"], event["data"]["counts"]["created"]) == (
        "import.processed",
        reference,
        2,
    )
    [delivery] = _deliveries(server, token, endpoint_id)
    assert (delivery["status"], delivery["attempts"]) == ("delivered", 4)
    log = delivery["attemptLog"]
    assert isinstance(log, list)
    assert [a["statusCode"] for a in log] == [500, 500, 500, 200]
    assert all(isinstance(a["latencyMs"], int) for a in log)
    # Delivered: nothing more is sent.
    server.stop()
    assert len(receiver.received()) == 4
    # The server's log names the receiver's host, never its path (which may hold a token of its
    # own), nor the signing secret.
    log = server.log_path.read_text()
    assert "127.0.0.1" in log
    assert "/hooks/loadbay" not in log
    assert (receiver.folder / "secret").read_text() not in log


def test_a_delivery_survives_the_server_killed_between_attempts(
    server_factory: type[LoadbayServer], receiver_factory: Callable[..., Receiver], tmp_path: Path
) -> None:
    # The second attempt waits 2.5-5 s: long enough to kill the server before it.
    env = {**ENV, "LOADBAY_WEBHOOK_RETRY_BASE_SECONDS": "5"}
    server = server_factory().start(**env)
    token = _token(server, server.create_client())
    receiver = receiver_factory(fail_first=1)
    endpoint_id = _register(server, token, receiver)
    reference = _upload(server, token, tmp_path / "groups.csv")
    receiver.wait_for(lambda requests: len(requests) == 1)
    # Killed once the failed attempt is recorded: between attempts, not during one (a dispatcher
    # killed mid-attempt holds its lease until it runs out, 30 s: tests/webhooks/test_dispatch.py).
    _wait_for_attempts(server, token, endpoint_id, 1)
    server.stop(signal.SIGKILL)

    restarted = server_factory().start(**env)
    requests = receiver.wait_for(_delivered)
    assert [r["status"] for r in requests] == [500, 200]
    assert requests[0]["id"] == requests[1]["id"]
    assert requests[1]["event"]["data"]["referenceId"] == reference
    restarted.stop()
