"""What a writer is given for one batch of rows, and what it gives back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from loadbay.config import Settings
from loadbay.importing.bulk import BulkSession
from loadbay.importing.messages import no_messages
from loadbay.importing.tables import lookup
from loadbay.importing.write import TableWrite
from loadbay.models import Base


@dataclass
class BatchContext:
    # Reads for planning; the writes go back in Planned.writes.
    bulk: BulkSession
    settings: Settings
    tenant_id: int
    import_id: str
    # Canonical names of the columns the file has; a column left out keeps the stored value.
    present: frozenset[str]
    # The batch's timestamp: created_at / updated_at of every row it writes.
    now: datetime
    dry_run: bool = False
    # mode=sync: the table the file is the tenant's full list of (its template's SyncRule model).
    # A row of it the file names is active unless the file says otherwise (a row an earlier sync
    # deactivated comes back); rows of other tables it writes (a link file's users) are not.
    synced_model: type[Base] | None = None
    # Per-import memo a writer may fill (e.g. the tenant's organization ids), kept across batches
    # (and across the files of a bundle).
    cache: dict[str, Any] = field(default_factory=dict)
    # A OneRoster bundle's file: "bulk" (the whole truth; rows carry no status) or "delta" (each
    # row is active or tobedeleted). None for a file imported on its own.
    file_mode: str | None = None

    def full_list_of(self, model: type[Base]) -> bool:
        """Whether this import is a full sync of ``model``'s rows."""
        return self.synced_model is model

    def constants(self) -> dict[str, Any]:
        """The columns every row written by this batch shares."""
        return {
            "tenant_id": self.tenant_id,
            "last_import_id": self.import_id,
            "created_at": self.now,
            "updated_at": self.now,
        }

    def lookup(
        self,
        model: type[Base],
        keys: pl.DataFrame,
        columns: list[str],
        *,
        scope_value: Any = None,
        key: tuple[str, ...] | None = None,
    ) -> pl.DataFrame:
        """Stored ``columns`` of the tenant's rows whose key (``key``: another unique key than the
        table's first) is in ``keys`` (``_row`` + key columns)."""
        return lookup(
            self.bulk,
            model,
            scope_value=self.tenant_id if scope_value is None else scope_value,
            keys=keys,
            columns=columns,
            key=key,
        )


Combine = Callable[[list[pl.DataFrame]], pl.DataFrame]


@dataclass
class Planned:
    """A batch planned by a writer: its messages (``row`` = the ``_row`` of the frame it was
    given), the writes, and the keys it made (an organization id it generated)."""

    messages: pl.DataFrame = field(default_factory=no_messages)
    writes: list[TableWrite] = field(default_factory=list)
    keys: pl.DataFrame | None = None
    # Per write, its (_row, outcome) frame → each row's outcome; default: the first write decides
    # and a later one turns unchanged into updated.
    combine: Combine | None = None


Writer = Callable[[BatchContext, pl.DataFrame], Planned]
