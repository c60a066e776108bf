"""Every metric Loadbay exports, declared once; the parts that count import them from here.

Counters and histograms live in each process (``loadbay serve`` is one process). With several
``loadbay api`` processes (``--workers N``) they are written to ``PROMETHEUS_MULTIPROC_DIR``
and summed when scraped; each ``loadbay worker`` process serves its own on
``--metrics-port``. The queue's depth and age are read from the database when scraped
(endpoints.py), so any one API process reports them for the whole installation.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import event
from sqlalchemy.orm import Session

# Request latencies from a millisecond to a long upload.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_RUN_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)

HTTP_REQUESTS = Counter(
    "loadbay_http_requests",
    "HTTP requests answered, by route template, method and status code.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "loadbay_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and method.",
    ["route", "method"],
    buckets=_LATENCY_BUCKETS,
)
UPLOAD_BYTES = Counter(
    "loadbay_upload_bytes",
    "Bytes of uploads accepted and stored, by API (rostering, files, batches).",
    ["api"],
)
IMPORTS_FINISHED = Counter(
    "loadbay_imports_finished",
    "Imports that ended, by import type and final status.",
    ["import_type", "status"],
)
IMPORT_ROWS = Counter(
    "loadbay_import_rows",
    "Rows of ended imports, by import type and outcome.",
    ["import_type", "outcome"],
)
IMPORT_RUN_SECONDS = Histogram(
    "loadbay_import_run_seconds",
    "Time one worker attempt spent running an import, by import type.",
    ["import_type"],
    buckets=_RUN_BUCKETS,
)
LEASE_TAKEOVERS = Counter(
    "loadbay_lease_takeovers",
    "Imports a worker took over after the worker running them stopped (its lease ran out).",
)
WORKERS = Gauge("loadbay_workers", "Worker threads in this process.", multiprocess_mode="livesum")
WORKERS_BUSY = Gauge(
    "loadbay_workers_busy", "Worker threads running an import now.", multiprocess_mode="livesum"
)
WEBHOOK_ATTEMPTS = Counter(
    "loadbay_webhook_attempts",
    "Webhook delivery attempts, by what followed: delivered, retry (pending) or failed (given up).",
    ["outcome"],
)
WEBHOOK_LATENCY = Histogram(
    "loadbay_webhook_attempt_duration_seconds",
    "Time one webhook attempt took, answer or not.",
    buckets=_LATENCY_BUCKETS,
)


def count_ended(import_type: str | None, status: str, counts: dict[str, int] | None = None) -> None:
    """An import ended: once, wherever it ended (a worker's run, a cancel, a give-up)."""
    name = import_type or "unknown"
    IMPORTS_FINISHED.labels(name, status).inc()
    for outcome, rows in (counts or {}).items():
        if rows:
            IMPORT_ROWS.labels(name, outcome).inc(rows)


def count_ended_on_commit(
    session: Session, import_type: str | None, status: str, counts: dict[str, int] | None = None
) -> None:
    """``count_ended`` once ``session`` commits: an ending that is rolled back (and retried)
    is counted once, when it holds. The session lives for one transaction or request."""
    settled = [False]

    def committed(_session: Session) -> None:
        if not settled[0]:
            settled[0] = True
            count_ended(import_type, status, counts)

    def rolled_back(_session: Session) -> None:
        settled[0] = True

    event.listen(session, "after_commit", committed)
    event.listen(session, "after_rollback", rolled_back)
