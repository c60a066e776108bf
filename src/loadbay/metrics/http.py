"""Counts and times every HTTP request by its route template (``/api/v1/status/{reference_id}``,
never the reference itself, so the label set stays small)."""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from loadbay.metrics.families import HTTP_LATENCY, HTTP_REQUESTS

UNMATCHED = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetrics:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route: Any = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED
            # The method is the client's to choose: any but the usual ones count as one.
            method = scope.get("method", "") if scope.get("method") in _METHODS else "other"
            HTTP_REQUESTS.labels(template, method, str(status[0])).inc()
            HTTP_LATENCY.labels(template, method).observe(time.perf_counter() - started)
