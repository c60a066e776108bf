"""/api/v1/webhooks: register, list and delete endpoints, and read each one's delivery log."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from loadbay.auth.deps import AnyClient, AuthClient
from loadbay.deps import DbSession, RuntimeDep, WriteSession
from loadbay.errors import ApiError
from loadbay.kit.pagination import BadCursor, is_whole_number
from loadbay.models.base import iso_utc
from loadbay.models.webhooks import DELIVERY_PENDING, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from loadbay.webhooks.service import (
    Owner,
    TooManyEndpoints,
    create_endpoint,
    endpoint_deliveries,
    epoch_to_datetime,
    get_endpoint,
    signing_secret,
    visible_endpoints,
)
from loadbay.webhooks.targets import TargetRefused

router = APIRouter(tags=["webhooks"])

NOT_FOUND = "Webhook endpoint not found."
# A body larger than this is no {"url": ...} a client meant to send.
_MAX_BODY = 8192


def _owner(client: AuthClient) -> Owner:
    return Owner(tenant_id=client.tenant_id, client_id=client.id, scopes=client.scopes)


def endpoint_view(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "scopes": sorted(endpoint.scope_set),
        "createdAt": iso_utc(endpoint.created_at),
    }


def attempt_view(attempt: WebhookAttempt) -> dict[str, Any]:
    return {
        "number": attempt.number,
        "at": iso_utc(attempt.at),
        "statusCode": attempt.status_code,
        "latencyMs": attempt.latency_ms,
        "error": attempt.error,
    }


def delivery_view(delivery: WebhookDelivery, attempts: list[WebhookAttempt]) -> dict[str, Any]:
    pending = delivery.status == DELIVERY_PENDING
    return {
        "id": delivery.id,
        "eventType": delivery.event_type,
        "referenceId": delivery.import_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "createdAt": iso_utc(delivery.created_at),
        "deliveredAt": iso_utc(delivery.delivered_at),
        "nextAttemptAt": iso_utc(epoch_to_datetime(delivery.next_attempt_at)) if pending else None,
        "attemptLog": [attempt_view(a) for a in attempts],
    }


async def _url_from_body(request: Request) -> str:
    problem = 'Send the endpoint as JSON: {"url": "https://example.org/hooks/loadbay"}.'
    raw = b""
    # Read no more than a URL can need, however much the client sends.
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > _MAX_BODY:
            raise ApiError(400, problem)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: [[[[…
        raise ApiError(400, problem) from None
    url = body.get("url") if isinstance(body, dict) else None
    if not isinstance(url, str) or not url.strip():
        raise ApiError(400, problem)
    return url.strip()


@router.post("/api/v1/webhooks", status_code=201)
async def create(request: Request, client: AnyClient, session: WriteSession, runtime: RuntimeDep) -> Any:
    """Register an endpoint; the answer is the only time its signing secret is shown."""
    url = await _url_from_body(request)

    def register() -> dict[str, Any]:
        try:
            endpoint = create_endpoint(session, settings=runtime.settings, owner=_owner(client), url=url)
        except TargetRefused as exc:
            raise ApiError(422, str(exc)) from None
        except TooManyEndpoints as exc:
            raise ApiError(
                409, f"The tenant has {exc.args[0]} webhook endpoints, the most allowed; delete one first."
            ) from None
        view = {**endpoint_view(endpoint), "secret": signing_secret(runtime.settings, endpoint)}
        session.commit()
        return view

    # One thread call: the endpoint's host is resolved and its row written in the same thread.
    view = await run_in_threadpool(register)
    # The secret must not linger in a cache between the client and Loadbay.
    return JSONResponse(view, status_code=201, headers={"Cache-Control": "no-store"})


@router.get("/api/v1/webhooks")
def list_endpoints(client: AnyClient, session: DbSession) -> Any:
    """The tenant's endpoints the client may see (those of its scopes), oldest first."""
    return {"items": [endpoint_view(e) for e in visible_endpoints(session, owner=_owner(client))]}


def _find(session: Any, client: AuthClient, endpoint_id: str) -> WebhookEndpoint:
    endpoint = get_endpoint(session, owner=_owner(client), endpoint_id=endpoint_id)
    if endpoint is None:
        raise ApiError(404, NOT_FOUND)
    return endpoint


@router.get("/api/v1/webhooks/{endpoint_id}")
def show(endpoint_id: str, client: AnyClient, session: DbSession) -> Any:
    return endpoint_view(_find(session, client, endpoint_id))


@router.delete("/api/v1/webhooks/{endpoint_id}", status_code=204)
def delete(endpoint_id: str, client: AnyClient, session: WriteSession) -> Response:
    """Stop sending to the endpoint: its queued deliveries and their log go with it."""
    session.delete(_find(session, client, endpoint_id))
    session.commit()
    return Response(status_code=204)


@router.get("/api/v1/webhooks/{endpoint_id}/deliveries")
def deliveries(endpoint_id: str, request: Request, client: AnyClient, session: DbSession) -> Any:
    """The endpoint's deliveries, newest first, each with every attempt: when, the answer, how long."""
    endpoint = _find(session, client, endpoint_id)
    raw = request.query_params.get("limit", "")
    if raw and (not is_whole_number(raw) or not 1 <= int(raw) <= 200):
        raise ApiError(400, f"limit must be a whole number from 1 to 200, not '{raw[:32]}'.")
    try:
        found, attempts, next_cursor = endpoint_deliveries(
            session,
            endpoint_id=endpoint.id,
            cursor=request.query_params.get("cursor") or None,
            limit=int(raw) if raw else 50,
        )
    except BadCursor:
        raise ApiError(400, "cursor is not one this API handed out; start again without it.") from None
    return {"items": [delivery_view(d, attempts[d.id]) for d in found], "nextCursor": next_cursor}
