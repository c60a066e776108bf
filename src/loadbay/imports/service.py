"""Queries behind the imports API: a tenant's imports, narrowed to the scopes the client holds."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loadbay.importing.service import get_tenant_import
from loadbay.kit.pagination import newest_first
from loadbay.models import ImportJob
from loadbay.models.imports import DEFAULT_SCOPE

STATUSES = ("pending", "processed", "failed")


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
