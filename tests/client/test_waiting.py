"""Giving up on a server that stays away."""

from __future__ import annotations

import time

import pytest

from loadbay.client.api import LoadbayClient
from loadbay.client.errors import ServerUnreachable
from loadbay.client.waiting import wait_finished
from tests.e2e.server import free_port


def test_the_wait_gives_up_when_the_server_stays_away() -> None:
    started = time.monotonic()
    with (
        LoadbayClient(f"http://127.0.0.1:{free_port()}", client_id="id", client_secret="secret") as client,
        pytest.raises(ServerUnreachable, match="Cannot reach the Loadbay server"),
    ):
        wait_finished(client, "ref", on_update=lambda _detail: None, outage_seconds=0.5)
    # It kept trying for the outage it tolerates, not one attempt and not forever.
    assert 0.5 <= time.monotonic() - started < 5
