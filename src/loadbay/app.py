"""The FastAPI application factory: runtime, routers, error handlers, in-process workers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from loadbay import __version__
from loadbay.auth.endpoints import router as auth_router
from loadbay.batches.endpoints import router as batches_router
from loadbay.catalog import load_import_types
from loadbay.config import Settings
from loadbay.deps import RuntimeDep
from loadbay.downloads.endpoints import router as downloads_router
from loadbay.errors import install_error_handlers
from loadbay.files.endpoints import router as files_router
from loadbay.imports.endpoints import router as imports_router
from loadbay.jobs.worker import WorkerPool
from loadbay.kit.requestid import RequestId
from loadbay.kit.storage import StorageError
from loadbay.logs import install_redaction
from loadbay.metrics.endpoints import router as metrics_router
from loadbay.metrics.http import RequestMetrics
from loadbay.openapi import install_openapi
from loadbay.rostering.endpoints import router as rostering_router
from loadbay.runtime import Runtime
from loadbay.tao.endpoints import router as tao_router
from loadbay.templates.endpoints import router as templates_router
from loadbay.web.endpoints import router as console_router
from loadbay.webhooks.endpoints import router as webhooks_router

log = logging.getLogger("loadbay")


def create_app(settings: Settings, *, workers: int | None = None) -> FastAPI:
    """Build the app. ``workers`` in-process worker threads run while it serves (0 for none)."""
    load_import_types()
    runtime = Runtime.create(settings)
    pool_size = settings.workers if workers is None else workers

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Now: uvicorn has configured its loggers by the time the app starts.
        install_redaction()
        pool = WorkerPool(runtime, size=pool_size)
        pool.start()
        try:
            yield
        finally:
            await run_in_threadpool(pool.stop)
            runtime.close()

    # FastAPIOffline: /docs and /redoc from the package's own Swagger UI and ReDoc files.
    app = FastAPIOffline(
        title="Loadbay",
        version=__version__,
        summary="Bulk data intake: authenticated uploads, asynchronous CSV imports, per-row results.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    install_openapi(app)
    app.add_middleware(RequestMetrics)
    # Outermost: the metrics' and every handler's lines carry the request id.
    app.add_middleware(RequestId)
    app.include_router(auth_router)
    app.include_router(tao_router)
    app.include_router(imports_router)
    app.include_router(rostering_router)
    app.include_router(templates_router)
    app.include_router(files_router)
    app.include_router(batches_router)
    app.include_router(downloads_router)
    app.include_router(webhooks_router)
    app.include_router(metrics_router)
    app.include_router(console_router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz(runtime: RuntimeDep) -> Response:
        problems: dict[str, str] = {}
        try:
            with runtime.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:
            problems["database"] = f"{type(exc).__name__}: {exc}"[:300]
        try:
            runtime.storage.check()
        except StorageError as exc:
            problems["storage"] = str(exc)[:300]
        if problems:
            return JSONResponse({"status": "unavailable", **problems}, status_code=503)
        return JSONResponse({"status": "ready"})

    return app


def api_from_env() -> FastAPI:
    """For ``loadbay api``: uvicorn imports this in each of its worker processes; no import workers."""
    from loadbay.cli.common import setup_logging
    from loadbay.config import get_settings

    # A process uvicorn spawned has none of its parent's logging: text or JSON, redacted, as set.
    setup_logging()

    return create_app(get_settings(), workers=0)
