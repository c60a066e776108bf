"""Queries behind the imports API: a tenant's imports, narrowed to the scopes the client holds."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from loadbay.importing.ended import job_ended
from loadbay.importing.messages import cancelled_notice
from loadbay.importing.service import get_tenant_import
from loadbay.kit.pagination import newest_first
from loadbay.models import CANCELLED, PENDING, ImportJob, utcnow
from loadbay.models.imports import DEFAULT_SCOPE

STATUSES = ("pending", "processed", "failed", "cancelled")


class ImportEnded(Exception):
    """The import ended already (processed, failed or cancelled): there is nothing to cancel."""


def cancel_import(session: Session, *, job: ImportJob) -> bool:
    """Cancel ``job``. True: nobody was running it, and it is cancelled now (the caller deletes
    the stored upload once this commits). False: a worker runs it, and stops at its next
    checkpoint (within a batch), keeping the batches it committed. Raises ImportEnded."""
    if job.status != PENDING:
        raise ImportEnded(job.status)
    now = utcnow()
    # Only while no live worker holds it (none ever did, or its lease ran out: a worker killed
    # with -9); a claim in between makes this change nothing.
    unheld = or_(ImportJob.lease_owner.is_(None), ImportJob.lease_expires_at < time.time())
    at_once = session.execute(
        update(ImportJob)
        .where(ImportJob.id == job.id, ImportJob.status == PENDING, unheld)
        .values(
            status=CANCELLED,
            cancel_requested_at=now,
            finished_at=now,
            message_count=ImportJob.message_count + 1,
            lease_owner=None,
            lease_expires_at=None,
        )
    )
    if at_once.rowcount:  # type: ignore[attr-defined]
        session.add(cancelled_notice(job.id))
        job_ended(session, job, status=CANCELLED)
        session.flush()
        session.refresh(job)
        return True
    requested = session.execute(
        update(ImportJob)
        .where(ImportJob.id == job.id, ImportJob.status == PENDING)
        .values(cancel_requested_at=func.coalesce(ImportJob.cancel_requested_at, now))
    )
    session.refresh(job)
    if not requested.rowcount:  # type: ignore[attr-defined]
        raise ImportEnded(job.status)
    return False


@dataclass(frozen=True)
class ImportsPage:
    jobs: list[ImportJob]
    next_cursor: str | None


def list_imports(
    session: Session,
    *,
    tenant_id: int,
    scopes: frozenset[str],
    status: str | None = None,
    import_type: str | None = None,
    limit: int,
    cursor: str | None = None,
) -> ImportsPage:
    """Newest first; ``cursor`` is the previous page's ``next_cursor``. Raises BadCursor."""
    # The SQL twin of ImportJob.scope, so the list and a single import agree on who sees what.
    scope = func.coalesce(ImportJob.options["scope"].as_string(), DEFAULT_SCOPE)
    query = select(ImportJob).where(ImportJob.tenant_id == tenant_id, scope.in_(sorted(scopes)))
    if status is not None:
        query = query.where(ImportJob.status == status)
    if import_type is not None:
        query = query.where(ImportJob.import_type == import_type)
    jobs, next_cursor = newest_first(
        session, query, created_at=ImportJob.created_at, row_id=ImportJob.id, cursor=cursor, limit=limit
    )
    return ImportsPage(jobs=jobs, next_cursor=next_cursor)


def get_visible_import(
    session: Session, *, tenant_id: int, scopes: frozenset[str], reference_id: str
) -> ImportJob | None:
    """The import, if the client's tenant owns it and the client holds its scope; else None."""
    job = get_tenant_import(session, tenant_id=tenant_id, reference_id=reference_id)
    if job is None or job.scope not in scopes:
        return None
    return job
