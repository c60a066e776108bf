"""``loadbay serve``, ``api``, ``worker`` and ``migrate``: running Loadbay."""

from __future__ import annotations

import logging
import os
import signal
import tempfile
import threading
from types import FrameType
from typing import Annotated, Any

import typer

from loadbay.cli.common import announce, json_logs, open_runtime, setup_logging


def _uvicorn_log_config() -> dict[str, Any] | None:
    """uvicorn's own logging setup for text; none for JSON, so that its loggers write through
    Loadbay's handler (logs.configure_logging) like every other line."""
    if json_logs():
        return None
    from uvicorn.config import LOGGING_CONFIG

    return LOGGING_CONFIG


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Everything in one process: API and workers (the embedded default: SQLite, local files)."""
    import uvicorn

    from loadbay.app import create_app
    from loadbay.config import Settings
    from loadbay.kit.httpserver import CappedHttpToolsProtocol
    from loadbay.kit.memory import system_arrow_pool
    from loadbay.migrate import upgrade
    from loadbay.runtime import Runtime

    system_arrow_pool()
    setup_logging()
    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = Settings(**overrides)  # type: ignore[arg-type]
    runtime = Runtime.create(settings)
    upgrade(runtime.engine)
    runtime.close()
    announce(
        f"Loadbay on [bold]http://{settings.host}:{settings.port}[/bold] "
        f"with {settings.workers} worker(s); database {settings.resolved_database_url.split('://')[0]}, "
        f"storage {settings.resolved_storage_url}"
    )
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        http=CappedHttpToolsProtocol,
        timeout_keep_alive=settings.keep_alive_seconds,
        log_config=_uvicorn_log_config(),
    )


def api(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes.")] = 1,
) -> None:
    """The HTTP API only; imports are left to ``loadbay worker`` processes."""
    import uvicorn

    from loadbay.kit.httpserver import CappedHttpToolsProtocol

    setup_logging()
    if workers > 1 and not os.environ.get("LOADBAY_REDIS_URL"):
        logging.getLogger("loadbay").warning(
            "%d API processes without LOADBAY_REDIS_URL: each counts the rate limits on its own, "
            "so a client gets up to %d times each limit; set LOADBAY_REDIS_URL to share them",
            workers,
            workers,
        )
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Several processes answer /metrics in turn: each writes its counters here, and whichever
        # is scraped sums them all (prometheus-client's multiprocess mode).
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="loadbay-metrics-")
    runtime = open_runtime()
    keep_alive = runtime.settings.keep_alive_seconds
    runtime.close()
    uvicorn.run(
        "loadbay.app:api_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http=CappedHttpToolsProtocol,
        timeout_keep_alive=keep_alive,
        log_config=_uvicorn_log_config(),
    )


def worker(
    concurrency: Annotated[int, typer.Option(help="Imports this process runs at once.")] = 1,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            envvar="LOADBAY_WORKER_METRICS_PORT",
            help="Serve this worker's Prometheus metrics on this port (/metrics).",
            show_default=False,
        ),
    ] = None,
    metrics_host: Annotated[
        str, typer.Option(envvar="LOADBAY_WORKER_METRICS_HOST", help="Address for --metrics-port.")
    ] = "127.0.0.1",
) -> None:
    """A standalone worker: claims pending imports and runs them until SIGTERM."""
    from loadbay.catalog import load_import_types
    from loadbay.jobs.worker import WorkerPool
    from loadbay.kit.memory import system_arrow_pool

    system_arrow_pool()
    setup_logging()
    load_import_types()
    runtime = open_runtime()
    pool = WorkerPool(runtime, size=concurrency)
    stopping = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    pool.start()
    if metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr=metrics_host)
        announce(f"worker metrics on http://{metrics_host}:{metrics_port}/metrics")
    announce(f"worker running {concurrency} import(s) at a time; SIGTERM stops it")
    stopping.wait()
    grace = runtime.settings.worker_grace_seconds
    logging.getLogger("loadbay.jobs").info("stopping: running imports get %g s to finish", grace)
    if pool.stop():
        runtime.close()


def migrate() -> None:
    """Create or upgrade the database schema."""
    open_runtime().close()
    announce("database is up to date")
