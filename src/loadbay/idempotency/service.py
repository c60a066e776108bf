"""An upload sent again with the same ``Idempotency-Key`` answers as the first one and starts nothing.

Semantics of the IETF httpapi draft "The Idempotency-Key HTTP Header Field": the key is the
client's; the first answer is kept for 24 hours, per tenant and endpoint; the same key with the
same file and options replays that answer; the same key with anything else is a 422 naming the
key. The key is claimed in the transaction that queues the import, so two concurrent requests
with one key make one import: the second finds the first's row once that commits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.requests import Request

from loadbay.db import transaction
from loadbay.errors import ApiError
from loadbay.models import IdempotencyKey, utcnow
from loadbay.runtime import Runtime

HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)
MAX_LENGTH = 255


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: dict[str, Any]


def request_key(request: Request) -> str | None:
    """The request's key, or None; 400 for one that is not 1-255 visible ASCII characters."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip().strip('"')
    if not 1 <= len(key) <= MAX_LENGTH or not all(33 <= ord(c) <= 126 for c in key):
        raise ApiError(400, f"{HEADER} must be 1 to {MAX_LENGTH} visible ASCII characters.")
    return key


def fingerprint(sha256: str, options: dict[str, Any]) -> str:
    """The file's hash and the options it was sent with: a retry sends both again unchanged."""
    canonical = json.dumps(options, sort_keys=True, default=str)
    return hashlib.sha256(f"{sha256}\n{canonical}".encode()).hexdigest()


def is_known(session: Session, *, tenant_id: int, endpoint: str, key: str) -> bool:
    """Whether an answer is kept for the key (a retry, most likely, that will be replayed)."""
    stored = session.get(IdempotencyKey, (tenant_id, endpoint, key))
    return stored is not None and stored.created_at >= utcnow() - TTL


def replay(session: Session, *, tenant_id: int, endpoint: str, key: str, fingerprint: str) -> Replay | None:
    """The first answer for this key, or None when the key is new (or older than 24 h).
    Raises ApiError 422 when the key came with another file or other options."""
    # An expired key is forgotten; conditionally, so two retries of it at once both go on.
    session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.tenant_id == tenant_id,
            IdempotencyKey.endpoint == endpoint,
            IdempotencyKey.key == key,
            IdempotencyKey.created_at < utcnow() - TTL,
        )
    )
    stored = session.get(IdempotencyKey, (tenant_id, endpoint, key), populate_existing=True)
    if stored is None:
        return None
    if stored.fingerprint != fingerprint:
        raise ApiError(
            422,
            f"{HEADER} '{key}' was used for another file or other options; send a new key for a new upload.",
        )
    return Replay(stored.status_code, dict(stored.body))


def remember(
    session: Session,
    *,
    tenant_id: int,
    endpoint: str,
    key: str,
    fingerprint: str,
    status_code: int,
    body: dict[str, Any],
) -> None:
    """Keep the answer for the key, in the caller's transaction. Raises IntegrityError when a
    concurrent request with the same key committed first (call ``replay`` after a rollback)."""
    session.add(
        IdempotencyKey(
            tenant_id=tenant_id,
            endpoint=endpoint,
            key=key,
            fingerprint=fingerprint,
            status_code=status_code,
            body=body,
        )
    )
    session.flush()


def once(
    session: Session,
    *,
    tenant_id: int,
    endpoint: str,
    key: str | None,
    fingerprint: str,
    write: Callable[[], dict[str, Any]],
) -> tuple[dict[str, Any], bool]:
    """Run ``write`` (it adds the upload's rows and returns the answer) and commit, keeping the
    answer under ``key``; unless the key answered before: then that answer, and True.

    Without a key: ``write`` and commit. A concurrent request with the same key that commits
    first makes this one's rows go (rollback) and its answer the first's.
    """
    if key is None:
        body = write()
        session.commit()
        return body, False
    if first := replay(session, tenant_id=tenant_id, endpoint=endpoint, key=key, fingerprint=fingerprint):
        session.commit()
        return first.body, True
    try:
        body = write()
        remember(
            session,
            tenant_id=tenant_id,
            endpoint=endpoint,
            key=key,
            fingerprint=fingerprint,
            status_code=200,
            body=body,
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        first = replay(session, tenant_id=tenant_id, endpoint=endpoint, key=key, fingerprint=fingerprint)
        if first is None:
            raise
        session.commit()
        return first.body, True
    return body, False


REPLAYED = {"Idempotent-Replayed": "true"}


def sweep_expired_keys(runtime: Runtime) -> int:
    """Forget every key older than 24 hours (a key is otherwise only forgotten when reused)."""
    with transaction(runtime.write_sessions) as session:
        result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - TTL))
    return int(result.rowcount)  # type: ignore[attr-defined]
