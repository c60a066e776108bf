"""Webhook endpoints and their delivery queue.

An import that ends queues one delivery per endpoint of its tenant that hears of its scope, in
the transaction that records the ending: the event is never lost to a crash between the two.
Dispatchers (dispatch.py) claim due deliveries under a lease, as workers claim imports, and
record every attempt; a failed attempt is retried with exponential back-off and jitter until
the retry period (24 hours by default) has passed since the event.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from loadbay.config import Settings
from loadbay.db import is_postgresql
from loadbay.kit.pagination import newest_first
from loadbay.models import CANCELLED, FAILED, PROCESSED, ApiClient, utcnow
from loadbay.models.webhooks import (
    DELIVERED,
    DELIVERY_FAILED,
    DELIVERY_PENDING,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from loadbay.webhooks.targets import check_target

EVENT_TYPES = {PROCESSED: "import.processed", FAILED: "import.failed", CANCELLED: "import.cancelled"}
# One retry step is never longer than this, however many attempts came before.
MAX_RETRY_STEP_SECONDS = 3600.0


class TooManyEndpoints(Exception):
    """The tenant has registered as many endpoints as LOADBAY_WEBHOOK_MAX_ENDPOINTS allows."""


@dataclass(frozen=True)
class Owner:
    """Who registers or reads endpoints: a client of a tenant, with the scopes it holds now."""

    tenant_id: int
    client_id: int
    scopes: frozenset[str]


def signing_secret(settings: Settings, endpoint: WebhookEndpoint) -> str:
    """The endpoint's secret in the Standard Webhooks form ``whsec_<base64>``, made again from
    the server's secret key and the endpoint's salt (the database keeps only the salt)."""
    message = f"loadbay-webhook:{endpoint.id}:{endpoint.salt}".encode()
    key = hmac.new(settings.resolved_secret_key.encode(), message, hashlib.sha256).digest()
    return "whsec_" + base64.b64encode(key).decode("ascii")


def create_endpoint(session: Session, *, settings: Settings, owner: Owner, url: str) -> WebhookEndpoint:
    """Register ``url`` for ``owner``'s tenant. Raises TargetRefused or TooManyEndpoints."""
    check_target(url, allow_private=settings.webhook_allow_private)
    count = session.scalar(
        select(func.count()).select_from(WebhookEndpoint).where(WebhookEndpoint.tenant_id == owner.tenant_id)
    )
    if (count or 0) >= settings.webhook_max_endpoints:
        raise TooManyEndpoints(settings.webhook_max_endpoints)
    endpoint = WebhookEndpoint(
        id=str(uuid.uuid4()),
        tenant_id=owner.tenant_id,
        client_id=owner.client_id,
        url=url,
        scopes=" ".join(sorted(owner.scopes)),
        salt=secrets.token_hex(16),
    )
    session.add(endpoint)
    session.flush()
    return endpoint


def visible_endpoints(session: Session, *, owner: Owner) -> list[WebhookEndpoint]:
    """The tenant's endpoints that hear of no scope the client lacks (as with imports), oldest first."""
    endpoints = session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.tenant_id == owner.tenant_id)
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    )
    return [e for e in endpoints if e.scope_set <= owner.scopes]


def get_endpoint(session: Session, *, owner: Owner, endpoint_id: str) -> WebhookEndpoint | None:
    """The endpoint if ``owner`` may see it; another tenant's is as unknown as a typo."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.tenant_id != owner.tenant_id or not endpoint.scope_set <= owner.scopes:
        return None
    return endpoint


def enqueue_import_event(session: Session, *, import_id: str, tenant_id: int, scope: str, status: str) -> int:
    """Queue the ended import's event for every endpoint of its tenant that hears of ``scope``.

    Called in the transaction that records the ending; returns how many deliveries it queued.
    """
    event_type = EVENT_TYPES.get(status)
    if event_type is None:
        return 0
    # Not for an endpoint whose client was revoked since: its events carry signed result URLs.
    endpoints = session.scalars(
        select(WebhookEndpoint)
        .join(ApiClient, ApiClient.id == WebhookEndpoint.client_id)
        .where(WebhookEndpoint.tenant_id == tenant_id, ApiClient.revoked_at.is_(None))
    )
    now = time.time()
    queued = [
        WebhookDelivery(
            id=f"msg_{uuid.uuid4().hex}",
            endpoint_id=endpoint.id,
            import_id=import_id,
            event_type=event_type,
            status=DELIVERY_PENDING,
            attempts=0,
            next_attempt_at=now,
        )
        for endpoint in endpoints
        if scope in endpoint.scope_set
    ]
    session.add_all(queued)
    return len(queued)


def _due(now: float):  # type: ignore[no-untyped-def]
    return (
        WebhookDelivery.status == DELIVERY_PENDING,
        WebhookDelivery.next_attempt_at <= now,
        or_(WebhookDelivery.lease_expires_at.is_(None), WebhookDelivery.lease_expires_at < now),
    )


def delivery_due(session: Session) -> bool:
    """Whether any delivery is due: a read, so that an idle dispatcher never takes the database's
    write lock (on SQLite it would queue behind, and hold up, an import's writes)."""
    query = select(WebhookDelivery.id).where(*_due(time.time())).limit(1)
    return session.scalar(query) is not None


def claim_due_delivery(session: Session, *, worker_id: str, lease_seconds: float) -> str | None:
    """Lease the delivery that has waited longest; None when none is due.

    A dispatcher killed mid-attempt leaves its lease to run out; the delivery is then claimed
    again (at least once: the receiver tells a repeat by its ``webhook-id``).
    """
    now = time.time()
    query = select(WebhookDelivery.id).where(*_due(now)).order_by(WebhookDelivery.next_attempt_at).limit(1)
    if is_postgresql(session):
        query = query.with_for_update(skip_locked=True)
    delivery_id = session.scalar(query)
    if delivery_id is None:
        return None
    return session.scalar(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, *_due(now))
        .values(lease_owner=worker_id, lease_expires_at=now + lease_seconds)
        .returning(WebhookDelivery.id)
    )


def retry_delay(attempt: int, *, base_seconds: float, rng: random.Random | None = None) -> float:
    """How long to wait after failed attempt ``attempt`` (1, 2, ...): base * 2^(attempt - 1), at
    most an hour, drawn from the upper half of that step so that many deliveries failing at
    once do not all come back at once."""
    step = min(MAX_RETRY_STEP_SECONDS, base_seconds * 2.0 ** (attempt - 1))
    draw = rng.random() if rng is not None else random.random()
    return step / 2 + draw * step / 2


def record_attempt(
    session: Session,
    *,
    settings: Settings,
    delivery_id: str,
    worker_id: str,
    status_code: int | None,
    latency_ms: int,
    error: str | None,
) -> str | None:
    """Log one attempt and decide what follows: delivered, another attempt later, or given up.

    Returns the delivery's status; None when this dispatcher no longer holds its lease (another
    one took it over), in which case nothing is written.
    """
    delivery = session.get(WebhookDelivery, delivery_id, with_for_update=is_postgresql(session))
    if delivery is None or delivery.lease_owner != worker_id or delivery.status != DELIVERY_PENDING:
        return None
    delivery.attempts += 1
    session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            number=delivery.attempts,
            status_code=status_code,
            latency_ms=latency_ms,
            error=error,
        )
    )
    delivery.lease_owner = None
    delivery.lease_expires_at = None
    if status_code is not None and 200 <= status_code < 300:
        delivery.status = DELIVERED
        delivery.delivered_at = utcnow()
        return DELIVERED
    next_at = time.time() + retry_delay(delivery.attempts, base_seconds=settings.webhook_retry_base_seconds)
    given_up_at = delivery.created_at.replace(tzinfo=UTC).timestamp() + settings.webhook_retry_hours * 3600
    if next_at > given_up_at:
        delivery.status = DELIVERY_FAILED
        return DELIVERY_FAILED
    delivery.next_attempt_at = next_at
    return DELIVERY_PENDING


def endpoint_deliveries(
    session: Session, *, endpoint_id: str, cursor: str | None, limit: int
) -> tuple[list[WebhookDelivery], dict[str, list[WebhookAttempt]], str | None]:
    """A page of the endpoint's deliveries, newest first, each with its attempts in order.
    Raises BadCursor."""
    deliveries, next_cursor = newest_first(
        session,
        select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id),
        created_at=WebhookDelivery.created_at,
        row_id=WebhookDelivery.id,
        cursor=cursor,
        limit=limit,
    )
    attempts: dict[str, list[WebhookAttempt]] = {d.id: [] for d in deliveries}
    if deliveries:
        for attempt in session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(list(attempts)))
            .order_by(WebhookAttempt.delivery_id, WebhookAttempt.number)
        ):
            attempts[attempt.delivery_id].append(attempt)
    return deliveries, attempts, next_cursor


def epoch_to_datetime(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC).replace(tzinfo=None)
