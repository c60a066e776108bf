"""Counters for rate limits, on the ``limits`` library.

In memory by default (the embedded server is one process); with ``LOADBAY_REDIS_URL`` the
counters live in Redis, so every API process of a scaled-out install counts together. Windows
are moving (a burst right after a window boundary is not let through twice).

When Redis cannot be reached the limits are not applied and a warning is logged once per
outage: a rate limiter that fails closed would turn a Redis blip into a Loadbay outage.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.errors import ConfigurationError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from loadbay.config import Settings

log = logging.getLogger("loadbay.limits")


@dataclass(frozen=True)
class Refused:
    """The limit is reached; the caller may try again after ``retry_after`` seconds."""

    retry_after: int


def per_minute(count: int) -> RateLimitItem:
    return RateLimitItemPerMinute(count)


# A Redis that does not answer must not hold up a request: a short time limit per call, and
# after a failure the limits are skipped for a while instead of waiting on it again each time.
_REDIS_TIMEOUT_SECONDS = 0.25
_SKIP_AFTER_FAILURE_SECONDS = 5.0


class Limiter:
    def __init__(self, settings: Settings) -> None:
        options = {"socket_timeout": _REDIS_TIMEOUT_SECONDS, "socket_connect_timeout": _REDIS_TIMEOUT_SECONDS}
        try:
            storage = (
                storage_from_string(settings.redis_url, **options) if settings.redis_url else MemoryStorage()
            )
        except ConfigurationError as exc:
            raise ValueError(f"LOADBAY_REDIS_URL must be a redis:// or rediss:// URL: {exc}") from None
        if not isinstance(storage, Storage):  # async+redis:// and the like
            raise ValueError(
                f"LOADBAY_REDIS_URL must be a redis:// or rediss:// URL, not {settings.redis_url}"
            )
        self._strategy = MovingWindowRateLimiter(storage)
        self._lock = threading.Lock()
        self._unavailable = False
        self._skip_until = 0.0

    def hit(self, rule: RateLimitItem, *keys: str) -> Refused | None:
        """Count one more against ``rule`` for ``keys``; Refused when it was already used up."""
        if time.monotonic() < self._skip_until:
            return None
        try:
            if self._strategy.hit(rule, *keys):
                self._available()
                return None
            return self._refused(rule, keys)
        except Exception as exc:
            self._unavailable_now(exc)
            return None

    def check(self, rule: RateLimitItem, *keys: str) -> Refused | None:
        """Refused when ``rule`` is used up for ``keys``, without counting anything."""
        if time.monotonic() < self._skip_until:
            return None
        try:
            if self._strategy.test(rule, *keys):
                return None
            return self._refused(rule, keys)
        except Exception as exc:
            self._unavailable_now(exc)
            return None

    def clear(self, rule: RateLimitItem, *keys: str) -> None:
        if time.monotonic() < self._skip_until:
            return
        try:
            self._strategy.clear(rule, *keys)
        except Exception as exc:
            self._unavailable_now(exc)

    def _refused(self, rule: RateLimitItem, keys: tuple[str, ...]) -> Refused:
        reset, _remaining = self._strategy.get_window_stats(rule, *keys)
        return Refused(retry_after=max(1, math.ceil(reset - time.time())))

    def _available(self) -> None:
        if self._unavailable:
            with self._lock:
                self._unavailable = False
            log.info("rate-limit counters reachable again")

    def _unavailable_now(self, exc: Exception) -> None:
        with self._lock:
            first, self._unavailable = not self._unavailable, True
            self._skip_until = time.monotonic() + _SKIP_AFTER_FAILURE_SECONDS
        if first:
            log.warning("rate-limit counters unreachable, limits not applied: %s", str(exc)[:200])
