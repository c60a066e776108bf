"""The imports table as a queue: atomic claims, leases renewed by heartbeats, bounded retries."""

from __future__ import annotations

import time

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from loadbay.db import is_postgresql
from loadbay.models import FAILED, PENDING, ImportJob, utcnow


def _claimable(now: float, max_attempts: int):  # type: ignore[no-untyped-def]
    return and_(
        ImportJob.status == PENDING,
        ImportJob.attempts < max_attempts,
        or_(ImportJob.lease_expires_at.is_(None), ImportJob.lease_expires_at < now),
    )


def claim_next_job(session: Session, *, worker_id: str, lease_seconds: int, max_attempts: int) -> str | None:
    """Lease the oldest claimable import to ``worker_id``; None when there is none.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED`` so many workers claim different jobs at once.
    SQLite: one conditional UPDATE; the database-wide write lock makes it atomic.
    """
    now = time.time()
    candidate = (
        select(ImportJob.id)
        .where(_claimable(now, max_attempts))
        .order_by(ImportJob.created_at, ImportJob.id)
        .limit(1)
    )
    if is_postgresql(session):
        candidate = candidate.with_for_update(skip_locked=True)
    return session.scalar(
        update(ImportJob)
        .where(ImportJob.id == candidate.scalar_subquery(), _claimable(now, max_attempts))
        .values(
            lease_owner=worker_id,
            lease_expires_at=now + lease_seconds,
            attempts=ImportJob.attempts + 1,
            started_at=utcnow(),
        )
        .returning(ImportJob.id)
    )


def renew_lease(session: Session, *, job_id: str, worker_id: str, lease_seconds: int) -> bool:
    """Extend the lease; False when another worker has taken the job over."""
    result = session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.lease_owner == worker_id, ImportJob.status == PENDING)
        .values(lease_expires_at=time.time() + lease_seconds)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release_job(session: Session, *, job_id: str, worker_id: str, error: str, max_attempts: int) -> None:
    """Give a job back after an error: retried later, or failed once its attempts are spent."""
    job = session.get(ImportJob, job_id, with_for_update=is_postgresql(session))
    if job is None or job.lease_owner != worker_id or job.status != PENDING:
        return
    job.last_error = error
    job.lease_owner = None
    # A short back-off: the lease expires a few seconds from now, doubling with each attempt.
    job.lease_expires_at = time.time() + min(60, 2**job.attempts)
    if job.attempts >= max_attempts:
        _fail(job, f"The import stopped with an error {job.attempts} times and was given up: {error}")


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
        reason = job.last_error or "the worker running it stopped before finishing"
        _fail(job, f"The import was attempted {job.attempts} times and given up: {reason}")
    return len(jobs)


def _fail(job: ImportJob, message: str) -> None:
    job.status = FAILED
    job.messages = [*list(job.messages or []), message]
    job.message_count += 1
    job.finished_at = utcnow()
    job.lease_owner = None
    job.lease_expires_at = None
