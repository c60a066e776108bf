"""What a writer is given for one batch of rows, and what it gives back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from loadbay.config import Settings

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
FAILED = "failed"


@dataclass
class BatchContext:
    # For reads while planning; writes go in BatchResult.apply.
    session: Session
    settings: Settings
    tenant_id: int
    import_id: str
    # Canonical names of the columns the file has; a column left out keeps the stored value.
    present: frozenset[str]
    dry_run: bool = False
    # Per-import memo a writer may fill (e.g. the tenant's organization ids), kept across batches.
    cache: dict[str, Any] = field(default_factory=dict)


@dataclass
class BatchResult:
    """Per row of the batch, in order: an outcome and the row's messages; and the writes.

    A writer plans with ``BatchContext.session`` (reads only) and returns its writes as
    ``apply``, which the pipeline runs in a short write transaction together with the
    batch's progress, or skips on a dry run.
    """

    outcomes: list[str]
    messages: list[list[str]]
    apply: Callable[[Session], None] | None = None
    # The key each row ended up with, where the writer made one (a generated organization id).
    keys: list[str] | None = None
