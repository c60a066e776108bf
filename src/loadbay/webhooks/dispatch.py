"""The dispatcher: a thread in every worker process that sends due webhook deliveries.

Each delivery is claimed under a lease, its event built afresh (with a newly signed result URL),
signed per the Standard Webhooks specification with the ``standardwebhooks`` library, POSTed
with a time limit and no redirects, and the attempt recorded. The signature covers the message
id, the attempt's timestamp and the exact body, so every retry is signed anew and a receiver
rejects a replay older than its tolerance.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

from loadbay.db import transaction
from loadbay.importing.service import FilesDeleted, ensure_result_file, import_summary, signed_result_url
from loadbay.metrics.families import WEBHOOK_ATTEMPTS, WEBHOOK_LATENCY
from loadbay.models import ImportJob
from loadbay.models.base import iso_utc
from loadbay.models.webhooks import WebhookDelivery, WebhookEndpoint
from loadbay.runtime import Runtime
from loadbay.webhooks.service import claim_due_delivery, delivery_due, record_attempt, signing_secret
from loadbay.webhooks.targets import TargetRefused, check_target

log = logging.getLogger("loadbay.webhooks")

# What is kept of a receiver's answer that was not a success: enough to recognise the error.
_ANSWER_CHARS = 200


def event_payload(
    runtime: Runtime, delivery: WebhookDelivery, job: ImportJob, result_url: str | None
) -> dict[str, Any]:
    """The event as the receiver reads it: Standard Webhooks' ``type`` / ``timestamp`` / ``data``."""
    summary = import_summary(job)
    ttl = runtime.settings.signed_url_ttl_seconds
    return {
        "type": delivery.event_type,
        "timestamp": iso_utc(job.finished_at),
        "data": {
            "referenceId": job.id,
            "importType": job.import_type,
            "status": job.status,
            "scope": job.scope,
            "fileName": job.original_filename,
            "counts": summary["counts"],
            "messageCount": job.message_count,
            "dryRun": summary["dryRun"],
            "finishedAt": iso_utc(job.finished_at),
            "resultUrl": result_url,
            "resultUrlExpiresIn": ttl if result_url else None,
        },
    }


class Dispatcher:
    """Sends due deliveries one at a time; ``run_forever`` until ``stop`` is set."""

    def __init__(self, runtime: Runtime, *, name: str | None = None) -> None:
        self.runtime = runtime
        self.worker_id = name or f"{socket.gethostname()}:{os.getpid()}:webhooks:{uuid.uuid4().hex[:8]}"
        self.stop = threading.Event()
        self._thread = threading.Thread(target=self.run_forever, name="loadbay-webhooks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self, timeout: float = 5.0) -> None:
        self.stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def run_forever(self) -> None:
        while not self.stop.is_set():
            try:
                sent = self.run_once()
            except Exception as exc:  # the database blinked: try again at the next poll
                log.warning("webhook dispatcher: %s", str(exc).splitlines()[0][:200] if str(exc) else exc)
                sent = False
            if not sent:
                self.stop.wait(self.runtime.settings.poll_seconds)

    def run_once(self) -> bool:
        """Claim one due delivery and attempt it; False when none was due."""
        settings = self.runtime.settings
        # Longer than any attempt can take, so a live dispatcher never loses its lease mid-request.
        lease = settings.webhook_timeout_seconds * 2 + 10
        with self.runtime.sessions() as session:
            if not delivery_due(session):
                return False
        with transaction(self.runtime.write_sessions) as session:
            delivery_id = claim_due_delivery(session, worker_id=self.worker_id, lease_seconds=lease)
        if delivery_id is None:
            return False
        status_code: int | None
        error: str | None
        try:
            url, body, secret = self._prepare(delivery_id)
        except Exception as exc:
            # Counted as an attempt, so that back-off and the retry period apply to it too.
            log.exception("webhook %s: the event could not be built", delivery_id)
            url = ""
            status_code, error, latency_ms = None, f"the event could not be built ({type(exc).__name__})", 0
        else:
            status_code, error, latency_ms = self._send(delivery_id, url, body, secret)
        with transaction(self.runtime.write_sessions) as session:
            outcome = record_attempt(
                session,
                settings=settings,
                delivery_id=delivery_id,
                worker_id=self.worker_id,
                status_code=status_code,
                latency_ms=latency_ms,
                error=error,
            )
        WEBHOOK_LATENCY.observe(latency_ms / 1000)
        if outcome is not None:
            WEBHOOK_ATTEMPTS.labels(outcome).inc()
        # The URL's host only: its path or query may carry a token of the receiver's.
        host = httpx.URL(url).host if url else "-"
        log.info("webhook %s to %s: %s (%s)", delivery_id, host, outcome, status_code or error)
        return True

    def _prepare(self, delivery_id: str) -> tuple[str, bytes, str]:
        """The endpoint's URL, the event's body and the signing secret."""
        storage, settings = self.runtime.storage, self.runtime.settings
        with transaction(self.runtime.write_sessions) as session:
            delivery = session.get(WebhookDelivery, delivery_id)
            assert delivery is not None
            endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
            job = session.get(ImportJob, delivery.import_id)
            assert endpoint is not None
            assert job is not None
            try:
                key = ensure_result_file(session, storage, job)
                result_url: str | None = signed_result_url(
                    storage, job, key=key, ttl_seconds=settings.signed_url_ttl_seconds
                )
            except FilesDeleted:
                result_url = None
            payload = event_payload(self.runtime, delivery, job, result_url)
            return (
                endpoint.url,
                json.dumps(payload, separators=(",", ":")).encode(),
                signing_secret(settings, endpoint),
            )

    def _send(
        self, delivery_id: str, url: str, body: bytes, secret: str
    ) -> tuple[int | None, str | None, int]:
        """POST the signed event; (status code or None, error or None, milliseconds taken).

        A client of its own per attempt: no cookie a receiver sets is sent anywhere later, and no
        proxy from the environment is used. The connection goes to the address check_target
        vetted (the Host header and TLS name stay the URL's). The whole attempt is cut off at
        twice the timeout, however slowly the receiver trickles its answer, and at most
        ``_ANSWER_CHARS`` bytes of the answer are read.
        """
        settings = self.runtime.settings
        timeout = settings.webhook_timeout_seconds
        started = time.monotonic()
        try:
            address = check_target(url, allow_private=settings.webhook_allow_private)
        except TargetRefused as exc:
            return None, str(exc), _since(started)
        target = httpx.URL(url)
        headers = {"content-type": "application/json", "user-agent": "Loadbay-Webhooks/1"}
        extensions: dict[str, Any] = {}
        if address is not None:
            headers["host"] = target.netloc.decode("ascii")
            if target.scheme == "https":
                extensions["sni_hostname"] = target.host
            target = target.copy_with(host=address)
        now = datetime.now(UTC)
        headers |= {
            "webhook-id": delivery_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(delivery_id, now, body),
        }
        client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)
        deadline = threading.Timer(timeout * 2, client.close)
        deadline.start()
        answer = b""
        try:
            with client.stream(
                "POST", target, content=body, headers=headers, extensions=extensions
            ) as response:
                for chunk in response.iter_bytes():
                    answer += chunk
                    if len(answer) >= _ANSWER_CHARS:
                        break
        except httpx.TimeoutException:
            return None, f"no answer within {timeout:g} s", _since(started)
        except Exception as exc:
            if not deadline.is_alive():
                return None, f"no complete answer within {timeout * 2:g} s", _since(started)
            return None, f"{type(exc).__name__}: {str(exc)[:_ANSWER_CHARS]}", _since(started)
        finally:
            deadline.cancel()
            client.close()
        latency = _since(started)
        if 200 <= response.status_code < 300:
            return response.status_code, None, latency
        text = answer[:_ANSWER_CHARS].decode("utf-8", "replace").strip()
        return response.status_code, f"HTTP {response.status_code}" + (f": {text}" if text else ""), latency


def _since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
