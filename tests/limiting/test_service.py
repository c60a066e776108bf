"""The rate-limit counters: in memory, or in Redis shared by every process that points at it."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest

from loadbay.limiting.service import Limiter, per_minute
from tests.conftest import make_settings

REDIS_URL = os.environ.get("LOADBAY_TEST_REDIS_URL")


def test_a_limit_refuses_past_its_count_and_says_when_to_retry(tmp_path: Path) -> None:
    limiter = Limiter(make_settings(tmp_path, f"sqlite:///{tmp_path / 'db'}"))
    rule = per_minute(3)
    assert [limiter.hit(rule, "k") for _ in range(3)] == [None, None, None]
    refused = limiter.hit(rule, "k")
    assert refused is not None
    assert 1 <= refused.retry_after <= 60
    # Other keys have counts of their own; clearing starts one again.
    assert limiter.hit(rule, "other") is None
    limiter.clear(rule, "k")
    assert limiter.hit(rule, "k") is None


@pytest.mark.skipif(not REDIS_URL, reason="LOADBAY_TEST_REDIS_URL is not set (.ci/run sets it)")
def test_two_processes_on_one_redis_share_the_count(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'db'}", redis_url=REDIS_URL)
    # Two limiters stand for two API processes: the counters are Redis's, not theirs.
    first, second = Limiter(settings), Limiter(settings)
    rule, key = per_minute(4), uuid.uuid4().hex
    assert [first.hit(rule, key), second.hit(rule, key), first.hit(rule, key), second.hit(rule, key)] == [
        None
    ] * 4
    assert first.hit(rule, key) is not None
    assert second.hit(rule, key) is not None


def test_unreachable_redis_lets_requests_through(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'db'}", redis_url="redis://127.0.0.1:1/0")
    limiter = Limiter(settings)
    rule = per_minute(1)
    assert [limiter.hit(rule, "k") for _ in range(3)] == [None, None, None]
    warnings = [r for r in caplog.records if "rate-limit counters unreachable" in r.getMessage()]
    assert len(warnings) == 1


def test_an_async_redis_url_is_refused_at_start(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, f"sqlite:///{tmp_path / 'db'}", redis_url="async+redis://127.0.0.1:6379"
    )
    with pytest.raises(ValueError, match="LOADBAY_REDIS_URL must be a redis:// or rediss:// URL"):
        Limiter(settings)


def test_a_redis_that_never_answers_holds_nothing_up(tmp_path: Path) -> None:
    # A listener that takes the connection and says nothing, as a hung Redis does.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    try:
        settings = make_settings(
            tmp_path, f"sqlite:///{tmp_path / 'db'}", redis_url=f"redis://127.0.0.1:{port}/0"
        )
        limiter = Limiter(settings)
        started = time.monotonic()
        assert limiter.hit(per_minute(1), "k") is None
        assert time.monotonic() - started < 3
        # Then it is not asked again for a while: no wait at all.
        started = time.monotonic()
        assert [limiter.hit(per_minute(1), "k") for _ in range(5)] == [None] * 5
        assert time.monotonic() - started < 0.1
    finally:
        for connection in accepted:
            connection.close()
        listener.close()
