"""``GET /metrics``: the Prometheus text format, optionally behind a bearer token."""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Iterator
from datetime import UTC

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from loadbay.deps import RuntimeDep
from loadbay.errors import ApiError
from loadbay.models import PENDING, ImportJob
from loadbay.runtime import Runtime

router = APIRouter(tags=["operations"])
log = logging.getLogger("loadbay.metrics")


class QueueCollector(Collector):
    """The import queue as the database has it: across every process and machine."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            with self.runtime.sessions() as session:
                depth, oldest = session.execute(
                    select(func.count(), func.min(ImportJob.created_at)).where(ImportJob.status == PENDING)
                ).one()
        except Exception as exc:
            # The database is down: the process's own metrics still say so (and much else).
            log.warning("metrics: the import queue could not be read: %s", str(exc).splitlines()[0][:200])
            return
        yield GaugeMetricFamily(
            "loadbay_import_queue_depth", "Imports pending (waiting or running).", value=depth
        )
        # Stored times are naive UTC.
        age = max(0.0, time.time() - oldest.replace(tzinfo=UTC).timestamp()) if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "loadbay_import_oldest_pending_age_seconds",
            "How long the oldest pending import has been waiting or running (0: none).",
            value=age,
        )


def _exposition(runtime: Runtime) -> bytes:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        for_process: CollectorRegistry = registry
    else:
        for_process = REGISTRY
    queue = CollectorRegistry()
    queue.register(QueueCollector(runtime))
    return generate_latest(for_process) + generate_latest(queue)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, runtime: RuntimeDep) -> Response:
    token = runtime.settings.metrics_token
    if token:
        presented = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(presented.encode(), token.encode()):
            raise ApiError(401, "Send the metrics token: Authorization: Bearer <LOADBAY_METRICS_TOKEN>.")
    body = await run_in_threadpool(_exposition, runtime)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
