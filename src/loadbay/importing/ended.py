"""What follows when an import ends, wherever it ends (a worker's run, a cancel, a give-up): its
webhook event is queued in the transaction that records the ending, and it is counted in the
metrics once that transaction has committed."""

from __future__ import annotations

from sqlalchemy.orm import Session

from loadbay.metrics.families import count_ended_on_commit
from loadbay.models import ImportJob
from loadbay.webhooks.service import enqueue_import_event


def import_ended(
    session: Session,
    *,
    import_id: str,
    tenant_id: int,
    scope: str,
    import_type: str | None,
    status: str,
    counts: dict[str, int] | None = None,
) -> None:
    """Call in the transaction that records the ending, before it commits."""
    enqueue_import_event(session, import_id=import_id, tenant_id=tenant_id, scope=scope, status=status)
    count_ended_on_commit(session, import_type, status, counts)


def job_ended(session: Session, job: ImportJob, *, status: str) -> None:
    """``import_ended`` for an import row the caller holds (a cancel, a give-up)."""
    import_ended(
        session,
        import_id=job.id,
        tenant_id=job.tenant_id,
        scope=job.scope,
        import_type=job.import_type,
        status=status,
    )
