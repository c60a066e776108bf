"""Stage 4, report: what a batch did, as the import's progress, its stored messages and its result rows.

Each batch's result rows are stored as a part in object storage before the commit that counts
them; its messages go into ``import_messages`` and its counts onto the import row in that same
commit (:func:`checkpoint_steps`), so an import taken over after a crash finds exactly the parts,
messages and counts of the batches it does not redo.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl
import pyarrow as pa

from loadbay.importing.bulk import Ingest, Query, Step
from loadbay.importing.messages import row_texts
from loadbay.importing.read import Batch
from loadbay.importing.results import ResultWriter
from loadbay.importing.tables import literal, quoted
from loadbay.importing.write import CREATED, DEACTIVATED, FAILED, REMOVED, UNCHANGED, UPDATED
from loadbay.models import ImportJob, ImportMessage

OUTCOMES = (CREATED, UPDATED, UNCHANGED, FAILED, DEACTIVATED, REMOVED)


@dataclass
class Tally:
    file_line: int = 1
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    message_count: int = 0

    @classmethod
    def resumed(cls, job: ImportJob) -> Tally:
        return cls(
            file_line=job.file_line,
            counts={
                CREATED: job.created_count,
                UPDATED: job.updated_count,
                UNCHANGED: job.unchanged_count,
                FAILED: job.failed_count,
                DEACTIVATED: job.deactivated_count,
                REMOVED: job.removed_count,
            },
            message_count=job.message_count,
        )

    def add(self, outcomes: pl.Series) -> None:
        for outcome, count in outcomes.value_counts().iter_rows():
            self.counts[outcome] += count

    def progress(self) -> dict[str, Any]:
        """The import row's columns that say how far it got."""
        return {
            "file_line": self.file_line,
            "created_count": self.counts[CREATED],
            "updated_count": self.counts[UPDATED],
            "unchanged_count": self.counts[UNCHANGED],
            "failed_count": self.counts[FAILED],
            "deactivated_count": self.counts[DEACTIVATED],
            "removed_count": self.counts[REMOVED],
            "message_count": self.message_count,
        }


def placed(messages: pl.DataFrame, batch: Batch, *, file: str | None = None) -> pl.DataFrame:
    """A batch's messages with each row turned into its first physical line (of ``file``, in a
    bundle)."""
    located = messages.select(
        batch.lines.gather(messages["row"]).alias("line"), "column", "code", "severity", "text"
    )
    return located if file is None else located.with_columns(pl.lit(file).alias("file"))


def message_table(import_id: str, messages: pl.DataFrame, *, first_seq: int) -> pa.Table:
    """Placed messages as rows of ``import_messages``, numbered from ``first_seq``.

    Typed as the table is (32-bit integers): PostgreSQL's binary COPY takes no other width.
    """
    return messages.select(
        pl.lit(import_id).alias("import_id"),
        pl.int_range(first_seq, first_seq + messages.height, dtype=pl.Int32).alias("seq"),
        pl.col("line").cast(pl.Int32),
        (pl.col("file") if "file" in messages.columns else pl.lit(None, dtype=pl.Utf8)).alias("file"),
        "column",
        "code",
        "severity",
        pl.col("text").alias("message"),
    ).to_arrow()


def checkpoint_steps(
    *,
    import_id: str,
    worker_id: str,
    tally: Tally,
    messages: pl.DataFrame,
    batches: int,
    synced_at: datetime | None = None,
    bundle: str | None = None,
) -> list[Step]:
    """Store the batch's messages and move the import's progress on, if this worker still holds it.

    The import row is updated only while ``lease_owner`` is this worker; otherwise the step
    returns no row and the whole transaction is undone (the lease was lost). The row it returns
    says whether a cancel was asked for (``cancel``).
    """
    steps: list[Step] = []
    if messages.height:
        table = message_table(import_id, messages, first_seq=tally.message_count + 1)
        steps.append(Ingest(ImportMessage.__tablename__, table, temporary=False))
        tally.message_count += messages.height
    values = {**tally.progress(), "checkpoint_batches": batches}
    if synced_at is not None:
        values["synced_at"] = synced_at
    if bundle is not None:
        # A bundle's progress per file (importing/bundle_run.py) commits with the checkpoint.
        values["bundle"] = bundle
    sets = ", ".join(f"{quoted(name)} = {literal(value)}" for name, value in values.items())
    steps.append(
        Query(
            f"UPDATE {quoted(ImportJob.__tablename__)} SET {sets} "  # noqa: S608
            f"WHERE id = {literal(import_id)} AND lease_owner = {literal(worker_id)} "
            # A cancel is read back with every checkpoint: the run stops after this batch.
            "RETURNING id, (cancel_requested_at IS NOT NULL) AS cancel",
            expect=1,
        )
    )
    return steps


def row_messages(height: int, messages: pl.DataFrame) -> pl.Series:
    """Each row's messages as the result file shows them (empty when it has none)."""
    return (
        pl.DataFrame({"row": pl.int_range(height, eager=True, dtype=pl.Int64)})
        .join(row_texts(messages), on="row", how="left", maintain_order="left")
        .select(pl.col("messages").fill_null(""))
        .to_series()
    )


class Reporter:
    """The result file's rows, rendered in a thread of their own while the next batch is written.

    A batch's rows are handed over once its outcomes are known; at most one batch renders at a
    time (a second waits for it), and ``flush`` waits for every batch of the part before it
    stores the part, which the part's commit then names done.
    """

    def __init__(self, results: ResultWriter) -> None:
        self._results = results
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="loadbay-report")
        self._rendering: Future[None] | None = None

    def __enter__(self) -> Reporter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._thread.shutdown(wait=True)

    def add(
        self,
        *,
        batch: Batch,
        outcomes: pl.Series,
        keys: pl.Series,
        messages: pl.DataFrame,
        shown: pl.DataFrame,
    ) -> None:
        self._wait()
        self._rendering = self._thread.submit(self._render, batch, outcomes, keys, messages, shown)

    def flush(self, part: int) -> None:
        self._wait()
        self._results.flush(part)

    def _wait(self) -> None:
        rendering, self._rendering = self._rendering, None
        if rendering is not None:
            rendering.result()

    def _render(
        self, batch: Batch, outcomes: pl.Series, keys: pl.Series, messages: pl.DataFrame, shown: pl.DataFrame
    ) -> None:
        self._results.write_batch(
            lines=batch.lines,
            outcomes=outcomes,
            keys=keys,
            messages=row_messages(batch.height, messages),
            frame=shown,
        )
