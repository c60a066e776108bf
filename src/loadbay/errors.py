"""Errors every dialect shares, and the handlers that turn them into the seeds' bodies."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Match

from loadbay.db import is_transient_db_error
from loadbay.kit.storage import StorageError

log = logging.getLogger("loadbay")

# Every database connection was in use for the whole pool timeout: overload, which passes.
BUSY_MESSAGE = "The server is busy; try again shortly."
BUSY_RETRY_AFTER = "5"


class ApiError(Exception):
    """An error with a status code and a message a person can act on: ``{"message": ...}``."""

    def __init__(self, status_code: int, message: str, *, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.headers = headers


def too_large(
    limit: int, *, what: str = "File", advice: str = "Split the file and upload each part."
) -> ApiError:
    """413, naming the limit in bytes and in a unit a person reads."""
    mib = limit / (1024 * 1024)
    readable = f"{mib:g} MB" if mib >= 1 else f"{limit / 1024:g} KB"
    return ApiError(413, f"{what} too large: the limit is {limit} bytes ({readable}). {advice}")


def upload_error(exc: Exception) -> ApiError:
    """The seeds' 500 ``Upload error``: the store would not take the file."""
    return ApiError(500, f"Upload error: {exc}")


class AccessDenied(Exception):
    """Missing, malformed, expired, forged or revoked token; ``presented`` when there was one."""

    def __init__(self, *, presented: bool = False) -> None:
        super().__init__()
        self.presented = presented


class InsufficientScope(Exception):
    """A valid token without the scope the endpoint needs."""

    def __init__(self, scope: str | None = None) -> None:
        super().__init__(scope)
        self.scope = scope


def bearer_challenge(*, error: str | None = None, scope: str | None = None) -> str:
    """RFC 6750 §3: the challenge, with an error code only when a token was presented (a request
    without one is told only that a bearer token is wanted)."""
    challenge = 'Bearer realm="loadbay"'
    if error:
        challenge += f', error="{error}"'
    if scope:
        challenge += f', scope="{scope}"'
    return challenge


def access_denied_challenge(exc: AccessDenied) -> str:
    return bearer_challenge(error="invalid_token" if exc.presented else None)


def insufficient_scope_challenge(exc: InsufficientScope) -> str:
    return bearer_challenge(error="insufficient_scope", scope=exc.scope)


def access_denied_response(exc: AccessDenied | None = None) -> Response:
    challenge = access_denied_challenge(exc) if exc is not None else bearer_challenge()
    return PlainTextResponse("Access Denied", status_code=401, headers={"WWW-Authenticate": challenge})


def _allowed_methods(request: Request) -> list[str]:
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _child = route.matches({**request.scope, "method": "GET"})
        route_methods = getattr(route, "methods", None)
        if match is not Match.NONE and route_methods:
            methods |= set(route_methods)
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> Response:
        return JSONResponse({"message": exc.message}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(AccessDenied)
    async def _access_denied(_request: Request, exc: AccessDenied) -> Response:
        return access_denied_response(exc)

    @app.exception_handler(InsufficientScope)
    async def _insufficient_scope(_request: Request, exc: InsufficientScope) -> Response:
        return JSONResponse(
            {"message": "Insufficient scope"},
            status_code=403,
            headers={"WWW-Authenticate": insufficient_scope_challenge(exc)},
        )

    @app.exception_handler(ClientDisconnect)
    async def _client_gone(request: Request, _exc: ClientDisconnect) -> Response:
        # The client went away mid-request (a browser tab closed during an upload): nothing to
        # answer, nothing went wrong here; whatever it had sent is not kept.
        log.info("client disconnected during %s %s; nothing was kept", request.method, request.url.path)
        return Response(status_code=400)

    @app.exception_handler(StorageError)
    async def _storage_error(_request: Request, exc: StorageError) -> Response:
        # The store's words (paths, hosts) go to the log, not to the client.
        log.error("object storage error: %s", exc)
        return JSONResponse(
            {"message": "Object storage is unavailable; try again shortly."},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    async def _database_unavailable(_request: Request, exc: Exception) -> Response:
        # Busy (every connection in use, SQLite's lock held) passes by itself; down needs a person.
        if is_transient_db_error(exc):
            log.warning("database busy: %s", exc)
            message = BUSY_MESSAGE
        else:
            log.error("database error: %s", exc)
            message = "The database is unavailable; try again shortly."
        return JSONResponse({"message": message}, status_code=503, headers={"Retry-After": BUSY_RETRY_AFTER})

    app.add_exception_handler(PoolTimeout, _database_unavailable)
    app.add_exception_handler(OperationalError, _database_unavailable)

    @app.exception_handler(DBAPIError)
    async def _database_error(_request: Request, exc: DBAPIError) -> Response:
        if "NUL" in str(exc.orig):
            # PostgreSQL takes no NUL character in text: the client sent one in a field or a path.
            return JSONResponse(
                {"message": "The request holds a NUL character (0x00), which no field may contain."},
                status_code=400,
            )
        log.exception("database error", exc_info=exc)
        return JSONResponse({"message": "Database error; the request was not applied."}, status_code=500)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error.get('loc', ()))}: {error.get('msg')}" for error in exc.errors()
        )
        return JSONResponse({"message": f"Invalid request: {problems}"}, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "Request failed"
        headers = dict(exc.headers or {})
        if exc.status_code == 404 and message == "Not Found":
            message = "No such endpoint."
        if exc.status_code == 405:
            message = "Method not allowed on this endpoint."
            # Starlette names the methods of the first route on the path only; RFC 9110 wants all.
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return JSONResponse({"message": message}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> Response:
        log.exception("unexpected error", exc_info=exc)
        return JSONResponse({"message": f"Internal error: {type(exc).__name__}"}, status_code=500)
