"""The imports table as a queue: atomic claims, leases renewed by heartbeats, bounded retries.

On PostgreSQL every new or handed-back job is also announced on the ``loadbay_jobs``
channel (``NOTIFY``), so idle workers that ``LISTEN`` start at once instead of at their
next poll. Polling stays the fallback, and the only mechanism on SQLite.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, and_, event, func, or_, select, text, update
from sqlalchemy.orm import Mapper, Session

from loadbay.db import is_postgresql
from loadbay.importing.ended import job_ended
from loadbay.metrics.families import LEASE_TAKEOVERS
from loadbay.models import FAILED, PENDING, ImportJob, ImportMessage, utcnow

NOTIFY_CHANNEL = "loadbay_jobs"
# First key of the transaction-level advisory lock that makes one tenant's claims take turns.
_TENANT_CLAIM_LOCK = 0x4C42


def _claimable(now: float, max_attempts: int):  # type: ignore[no-untyped-def]
    return and_(
        ImportJob.status == PENDING,
        ImportJob.attempts < max_attempts,
        or_(ImportJob.lease_expires_at.is_(None), ImportJob.lease_expires_at < now),
    )


def _running(now: float):  # type: ignore[no-untyped-def]
    """Leased to a worker whose lease has not run out: a dead worker's job does not count."""
    return and_(
        ImportJob.status == PENDING,
        ImportJob.lease_owner.is_not(None),
        ImportJob.lease_expires_at >= now,
    )


def claim_next_job(
    session: Session,
    *,
    worker_id: str,
    lease_seconds: int,
    max_attempts: int,
    tenant_max_running: int = 0,
) -> str | None:
    """Lease the oldest claimable import to ``worker_id``; None when there is none.

    With ``tenant_max_running``, a tenant that already has that many imports running is
    passed over, so one tenant's backlog cannot hold every worker while others wait.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED`` so many workers claim different jobs at once; a
    per-tenant advisory lock and a recount keep the cap exact under concurrent claims.
    SQLite: the write transaction (BEGIN IMMEDIATE) already serialises every claim.
    """
    now = time.time()
    postgresql = is_postgresql(session)
    passed_over: set[int] = set()
    # A few rounds at most: each round can only find another tenant full, which is rare.
    for _round in range(3):
        candidate = select(ImportJob.id, ImportJob.tenant_id, ImportJob.lease_owner).where(
            _claimable(now, max_attempts)
        )
        if tenant_max_running:
            full = (
                select(ImportJob.tenant_id)
                .where(_running(now))
                .group_by(ImportJob.tenant_id)
                .having(func.count() >= tenant_max_running)
            )
            candidate = candidate.where(ImportJob.tenant_id.not_in(full))
        if passed_over:
            candidate = candidate.where(ImportJob.tenant_id.not_in(passed_over))
        candidate = candidate.order_by(ImportJob.created_at, ImportJob.id).limit(1)
        if postgresql:
            candidate = candidate.with_for_update(skip_locked=True)
        row = session.execute(candidate).first()
        if row is None:
            return None
        job_id, tenant_id, previous_owner = row
        if tenant_max_running and postgresql:
            # Two workers may both have seen the tenant's last free slot. Claims for one tenant
            # take turns here (until commit), and the recount sees every claim committed before.
            session.execute(select(func.pg_advisory_xact_lock(_TENANT_CLAIM_LOCK, tenant_id)))
            running = session.scalar(
                select(func.count()).where(ImportJob.tenant_id == tenant_id, _running(now))
            )
            if (running or 0) >= tenant_max_running:
                passed_over.add(tenant_id)
                continue
        claimed = session.scalar(
            update(ImportJob)
            .where(ImportJob.id == job_id, _claimable(now, max_attempts))
            .values(
                lease_owner=worker_id,
                lease_expires_at=now + lease_seconds,
                attempts=ImportJob.attempts + 1,
                started_at=utcnow(),
            )
            .returning(ImportJob.id)
        )
        if claimed is not None and previous_owner is not None:
            # Its lease ran out under another worker (killed, or cut off from the database).
            LEASE_TAKEOVERS.inc()
        return claimed
    return None


def renew_lease(session: Session, *, job_id: str, worker_id: str, lease_seconds: int) -> bool:
    """Extend the lease; False when another worker has taken the job over."""
    result = session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.lease_owner == worker_id, ImportJob.status == PENDING)
        .values(lease_expires_at=time.time() + lease_seconds)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release_job(
    session: Session,
    *,
    job_id: str,
    worker_id: str,
    error: str,
    max_attempts: int,
    count_attempt: bool = True,
    reason: str = "an internal error",
) -> None:
    """Give a job back after an error: retried later, or failed once its attempts are spent.

    ``error`` (the exception, which may name paths and hosts of the server) is kept on the row
    and in the log; the client's message says ``reason``, in its words.

    ``count_attempt=False`` when the database or object store was unreachable: the outage,
    not the file, stopped the import, so it must not use up the import's attempts.
    """
    job = session.get(ImportJob, job_id, with_for_update=is_postgresql(session))
    if job is None or job.lease_owner != worker_id or job.status != PENDING:
        return
    job.last_error = error
    job.lease_owner = None
    if not count_attempt:
        job.attempts = max(0, job.attempts - 1)
    # A short back-off: the lease expires a few seconds from now, doubling with each attempt.
    job.lease_expires_at = time.time() + min(60, 2 ** max(1, job.attempts))
    if job.attempts >= max_attempts:
        _fail(
            session,
            job,
            f"The import stopped with {reason} {job.attempts} times and was given up; the server's "
            f"log has the details (import {job.id}).",
        )


def hand_back_job(session: Session, *, job_id: str, worker_id: str) -> bool:
    """Return a job unfinished (the worker is shutting down): claimable at once, attempt not counted.

    False when the job is no longer this worker's (finished, or taken over). Work the worker
    still tries to commit afterwards is refused, because every batch commit checks the owner.
    """
    result = session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.lease_owner == worker_id, ImportJob.status == PENDING)
        .values(lease_owner=None, lease_expires_at=None, attempts=ImportJob.attempts - 1)
    )
    handed_back = bool(result.rowcount)  # type: ignore[attr-defined]
    if handed_back:
        notify_job_available(session.connection())
    return handed_back


def fail_exhausted_jobs(session: Session, *, max_attempts: int) -> int:
    """Fail jobs whose every attempt died (e.g. a worker killed while importing them)."""
    now = time.time()
    jobs = session.scalars(
        select(ImportJob).where(
            ImportJob.status == PENDING,
            ImportJob.attempts >= max_attempts,
            ImportJob.lease_expires_at < now,
        )
    ).all()
    for job in jobs:
        # Not last_error: it is the server's own words (paths, hosts); the log has it.
        _fail(
            session,
            job,
            f"The import was attempted {job.attempts} times and given up: each time the worker "
            "running it stopped before finishing.",
        )
    return len(jobs)


def _fail(session: Session, job: ImportJob, message: str) -> None:
    job.message_count += 1
    session.add(
        ImportMessage(
            import_id=job.id,
            seq=job.message_count,
            line=None,
            column=None,
            code="given_up",
            severity="error",
            message=message,
        )
    )
    job.status = FAILED
    job.finished_at = utcnow()
    job.lease_owner = None
    job.lease_expires_at = None
    job_ended(session, job, status=FAILED)


def notify_job_available(connection: Connection) -> None:
    """Wake listening workers when this transaction commits (PostgreSQL only; a no-op elsewhere)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})


@event.listens_for(ImportJob, "after_insert")
def _announce_new_job(_mapper: Mapper[Any], connection: Connection, _job: ImportJob) -> None:
    # Every way an import is created goes through the ORM insert, so this one hook covers them
    # all; PostgreSQL folds identical notifications of one transaction into one.
    notify_job_available(connection)
