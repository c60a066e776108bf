"""The seed's ``BaseCommandResponse``: every answer of this dialect, errors included.

``code`` is the number of the seed's result-code enum, whose example is ``200``:

| enum member  | code | HTTP statuses answered with it |
|--------------|------|--------------------------------|
| Success      | 200  | 200                            |
| BadRequest   | 400  | 400, 409                       |
| Unauthorized | 401  | 401, 403                       |
| NotFound     | 404  | 404, 410                       |
| Error        | 500  | 500, 503                       |
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from loadbay.errors import (
    BUSY_MESSAGE,
    BUSY_RETRY_AFTER,
    AccessDenied,
    ApiError,
    InsufficientScope,
    access_denied_challenge,
    insufficient_scope_challenge,
)
from loadbay.kit.storage import StorageError

log = logging.getLogger("loadbay")

SUCCESS = 200


def result_code(status: int) -> int:
    """The enum member's number for an HTTP status (see the table above)."""
    if status < 300:
        return SUCCESS
    if status in (401, 403):
        return 401
    if status in (404, 410):
        return 404
    if status >= 500:
        return 500
    return 400


def command_response(
    status: int = SUCCESS,
    error: str | None = None,
    *,
    extra: Mapping[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"success": status < 300, "code": result_code(status), "errorMessage": error}
    body.update(extra or {})
    return JSONResponse(body, status_code=status, headers=headers)


class CommandRoute(APIRoute):
    """Answers the dialect's errors, including those raised by dependencies (auth), as
    ``BaseCommandResponse`` bodies rather than the core's ``{"message": ...}``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiError as exc:
                return command_response(exc.status_code, exc.message, headers=exc.headers)
            except AccessDenied as exc:
                return command_response(
                    401,
                    "Access Denied: send a valid bearer token from /api/v1/oauth2/tokens.",
                    headers={"WWW-Authenticate": access_denied_challenge(exc)},
                )
            except InsufficientScope as exc:
                return command_response(
                    403,
                    "Insufficient scope: this API needs a token with scope payments.",
                    headers={"WWW-Authenticate": insufficient_scope_challenge(exc)},
                )
            except RequestValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in error.get('loc', ()))}: {error.get('msg')}"
                    for error in exc.errors()
                )
                return command_response(400, f"Invalid request: {problems}")
            except PoolTimeout as exc:
                log.warning("batches: %s", exc)
                return command_response(503, BUSY_MESSAGE, headers={"Retry-After": BUSY_RETRY_AFTER})
            except (OperationalError, StorageError) as exc:
                log.error("batches: service unavailable: %s", exc)
                what = "object storage" if isinstance(exc, StorageError) else "database"
                return command_response(
                    503, f"The {what} is unavailable; try again shortly.", headers={"Retry-After": "5"}
                )

        return route_handler


def query_value(request: Request, name: str) -> str | None:
    """A query parameter in any casing (``BatchId``, ``batchId``...), as the seed mixes them."""
    wanted = name.lower()
    for key, value in request.query_params.multi_items():
        if key.lower() == wanted:
            return value.strip()
    return None


def field_value(body: Mapping[str, Any], *names: str) -> Any:
    """A JSON field in any casing, under any of ``names``."""
    wanted = {name.lower() for name in names}
    for key, value in body.items():
        if key.lower() in wanted:
            return value
    return None
