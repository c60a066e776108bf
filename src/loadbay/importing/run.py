"""Run one import: read → validate → write → report, batch by batch, with the checkpoint and lease.

The stages overlap a batch apart, each in its own thread (polars, numpy and the database
drivers release the GIL): batch N+2 is read and validated while N+1 is planned and N is written,
with one batch between stages, so memory stays flat whatever the file size.
Each batch's rows, messages and progress commit together; the progress row records how many
batches are done (``checkpoint_batches``) and the last physical line they cover (``file_line``).
A worker that takes a job over after a crash resumes after that line, so a re-run converges
to the same rows, counts and result file.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from loadbay.importing.batch import BatchContext, Combine
from loadbay.importing.bulk import BulkSession, Refused, bulk_session
from loadbay.importing.csvtext import FileRejected
from loadbay.importing.endings import Endings
from loadbay.importing.lease import Lease, LeaseLost
from loadbay.importing.messages import error_rows, ordered
from loadbay.importing.planning import failed_rows
from loadbay.importing.read import ahead, open_stored
from loadbay.importing.report import Reporter, Tally, checkpoint_steps, placed
from loadbay.importing.results import RedactedCopy
from loadbay.importing.shape import Shape, file_shape
from loadbay.importing.sync import (
    DEFAULT_THRESHOLD,
    SYNC,
    changed_keys,
    file_keys,
    plan_sync,
    result_rows,
    sync_steps,
)
from loadbay.importing.validate import Checked, Validator
from loadbay.importing.write import FAILED, ROW, UNCHANGED, UPDATED, TableWrite, written
from loadbay.kit.storage import ObjectMissing
from loadbay.models import PENDING, ImportJob, utcnow
from loadbay.runtime import Runtime

__all__ = ["ImportRun", "Lease", "LeaseLost", "run_import"]

log = logging.getLogger("loadbay.importing")

ON_ERROR_ABORT = "abort"


class _Cancelled(Exception):
    """A cancel was asked for; the run stops after ``parts`` committed batches (``checking``: in
    the check pass of onError=abort, which writes nothing)."""

    def __init__(self, parts: int, *, checking: bool = False) -> None:
        super().__init__(parts)
        self.parts = parts
        self.checking = checking


def run_import(runtime: Runtime, *, job_id: str, lease: Lease) -> str | None:
    """Import the job's file; the import type its header fitted (None before it was known).
    Raises on infrastructure errors so the worker can retry."""
    with runtime.sessions() as session:
        job = session.get(ImportJob, job_id)
        if job is None or job.status != PENDING:
            return None
        run = ImportRun(runtime, job, lease)
    run.execute()
    return run.endings.import_type


class ImportRun:
    def __init__(self, runtime: Runtime, job: ImportJob, lease: Lease) -> None:
        self.runtime = runtime
        self.storage = runtime.storage
        self.job_id = job.id
        self.tenant_id = job.tenant_id
        self.source_key = job.object_key
        self.options: dict[str, Any] = dict(job.options or {})
        self.scope = job.scope
        self.dry_run = bool(self.options.get("dry_run"))
        self.abort_on_error = self.options.get("on_error") == ON_ERROR_ABORT
        self.lease = lease
        # A job taken over after a crash resumes after its last committed batch.
        self.resume_batches = job.checkpoint_batches
        self.tally = Tally.resumed(job) if self.resume_batches else Tally()
        # Tables where this run has met a stored row: the others are loaded by plain inserts first.
        self.stored: set[str] = set()
        self.endings = Endings(runtime, job, lease)
        # Cancelled while no worker ran it (its worker died): it ends without another batch.
        self.cancel_requested = job.cancel_requested_at is not None
        # mode=sync: after the last batch the rows the file left out go (importing/sync.py).
        self.sync = self.options.get("mode") == SYNC
        self.synced = job.synced_at is not None

    def execute(self) -> None:
        if not self.resume_batches:
            # An attempt that starts over (a crash before the first checkpoint) finds them again.
            self.endings.clear_messages()
        try:
            with self.storage.open(self.source_key) as binary:
                header = open_stored(binary).header
            forced = self.options.get("import_type")
            shape = file_shape(
                header,
                settings=self.runtime.settings,
                scope=self.scope,
                forced=str(forced) if forced else None,
            )
            self.endings.name_type(shape.import_type.name)
            if self.cancel_requested:
                raise _Cancelled(self.resume_batches)
            with bulk_session(self.runtime) as bulk:
                keys = self._sync_keys(shape, bulk) if self.sync and not self.synced else None
                if self.abort_on_error and not self.dry_run and not self.resume_batches:
                    # All or nothing: check every row first; write only if none failed.
                    parts = self._pass(shape, bulk, write=False, checkpoint=False)
                    if self.tally.counts[FAILED]:
                        self.endings.aborted(shape, self.tally, parts)
                        return
                    self.tally = Tally()
                    self.endings.clear_messages()
                parts = self._pass(shape, bulk, write=not self.dry_run, checkpoint=True)
                if keys is not None:
                    parts = self._sync(shape, bulk, keys, part=parts + 1, write=not self.dry_run)
            self.endings.processed(shape, self.tally, parts)
        except _Cancelled as cancel:
            if cancel.checking:
                # Cancelled while an all-or-nothing import only checked its rows: none is written,
                # so none is counted, and the result file has no row.
                self.tally = Tally(file_line=self.tally.file_line, message_count=self.tally.message_count)
            self.endings.cancelled(shape, self.tally, 0 if cancel.checking else cancel.parts)
        except FileRejected as exc:
            self.endings.rejected(exc, self.tally)
        except ObjectMissing:
            if self.storage.exists(self.source_key):
                raise  # a work file: the retry rebuilds it
            # The upload itself is gone (deleted from the store by hand, a lost bucket): no retry
            # brings it back, so the import ends now, in the client's words; the log has the key.
            log.warning(
                "import %s: its upload %s is missing from object storage", self.job_id, self.source_key
            )
            self.endings.rejected(
                FileRejected(
                    "The uploaded file is no longer in object storage, so it cannot be imported; "
                    "upload it again.",
                    line=None,
                    code="storage",
                ),
                self.tally,
            )

    def _sync_keys(self, shape: Shape, bulk: BulkSession) -> pl.DataFrame:
        """The keys the file names; before anything is written, refuse a sync that would take away
        more than changeThreshold percent of the tenant's rows of the template."""
        rule = shape.import_type.sync
        if rule is None:
            raise FileRejected(
                f"mode=sync is not available for {shape.import_type.name} files; upload it with mode=merge.",
                line=None,
                code="sync_unsupported",
            )
        if missing := [c for c in shape.import_type.key_columns if c not in shape.header]:
            # An organizations file may leave its ids out (they are generated): then it names no
            # stored unit, and a sync would take them all away.
            raise FileRejected(
                f"mode=sync compares the file's keys with the stored ones, and the file has no "
                f"{', '.join(missing)} column; add it, or upload the file with mode=merge.",
                line=None,
                code="sync_unsupported",
            )
        keys = file_keys(self.storage, key=self.source_key, shape=shape, settings=self.runtime.settings)
        if not self.resume_batches:
            plan = plan_sync(bulk, rule=rule, tenant_id=self.tenant_id, import_id=self.job_id, keys=keys)
            threshold = float(self.options.get("change_threshold", DEFAULT_THRESHOLD))
            if (refusal := plan.refusal(threshold)) is not None:
                raise refusal
        return keys

    def _sync(self, shape: Shape, bulk: BulkSession, keys: pl.DataFrame, *, part: int, write: bool) -> int:
        """Deactivate or remove what the file left out, as one more part; returns the part count.

        The rows it changes, their result part and the checkpoint that names it done
        (``synced_at``) commit together; a dry run lists what it would change and writes nothing.
        """
        self.lease.ensure()
        rule = shape.import_type.sync
        assert rule is not None
        planned_at = utcnow()
        plan = plan_sync(bulk, rule=rule, tenant_id=self.tenant_id, import_id=self.job_id, keys=keys)
        now = utcnow()
        in_transaction = write and bool(plan.missing.height)
        if in_transaction:
            steps = sync_steps(
                bulk.dialect,
                plan,
                tenant_id=self.tenant_id,
                import_id=self.job_id,
                now=now,
                planned_at=planned_at,
            )
            changed = changed_keys(plan, bulk.run(steps, begin=True)[-1])
        else:
            changed = plan.missing
        rows = result_rows(plan, changed, shape)
        self.tally.add(rows["outcomes"])
        results, redacted = self.endings.results(shape), self.endings.redacted_copy(shape)
        results.write_batch(**rows)
        results.flush(part)
        if redacted is not None:
            # Every part number has its copy part; the sync's has no line of the upload.
            redacted.flush(part)
        self._checkpoint(bulk, messages=pl.DataFrame(), batches=part, begin=not in_transaction, synced_at=now)
        return part

    def _checkpoint(
        self,
        bulk: BulkSession,
        *,
        messages: pl.DataFrame,
        batches: int,
        begin: bool,
        synced_at: datetime | None = None,
    ) -> bool:
        """Commit the progress (and the open transaction's rows); whether a cancel was asked for."""
        steps = checkpoint_steps(
            import_id=self.job_id,
            worker_id=self.lease.worker_id,
            tally=self.tally,
            messages=messages,
            batches=batches,
            synced_at=synced_at,
        )
        try:
            progress = bulk.run(steps, begin=begin, commit=True)[-1]
        except Refused as exc:
            raise LeaseLost(self.job_id) from exc
        return progress is not None and bool(progress["cancel"][0].as_py())

    def _pass(self, shape: Shape, bulk: BulkSession, *, write: bool, checkpoint: bool) -> int:
        """One pass over the file; returns how many parts (checkpoints) it stored.

        Three stages overlap, each a batch apart: a thread reads and checks batch N+2, another
        plans batch N+1 (look-ups, the writer's rules, the upload's redacted copy), and this one
        writes batch N. Consecutive batches make a part of about ``checkpoint_bytes`` of the
        file: its rows, messages, result part and progress commit together, in one transaction.
        """
        results, redacted = self.endings.results(shape), self.endings.redacted_copy(shape)
        settings = self.runtime.settings
        context = BatchContext(
            bulk=bulk,
            settings=settings,
            tenant_id=self.tenant_id,
            import_id=self.job_id,
            present=shape.present,
            now=utcnow(),
            dry_run=not write,
            synced_model=shape.import_type.sync.model if self.sync and shape.import_type.sync else None,
        )
        validator = Validator(shape.import_type, shape.present)
        resume_line = self.tally.file_line if (checkpoint and self.resume_batches) else 0
        first_part = self.resume_batches if checkpoint else 0
        per_part = max(1, settings.checkpoint_bytes // settings.batch_bytes)

        def checked() -> Iterator[Checked]:
            with self.storage.open(self.source_key) as binary:
                stored = open_stored(binary)
                for batch in stored.batches(
                    shape.header, batch_bytes=settings.batch_bytes, batch_rows=settings.batch_rows
                ):
                    if resume_line and int(batch.lines[0]) <= resume_line:
                        # Rows committed before the crash: only their keys are needed, for repeats.
                        done = int((batch.lines <= resume_line).sum())
                        validator.remember(batch.slice(0, done))
                        batch = batch.slice(done)
                        if not batch.height:
                            continue
                    yield validator.check(batch)

        def planned() -> Iterator[_PlannedBatch]:
            # A part closes after batch_rows rows or checkpoint_bytes of the file, whichever first.
            part, rows, batches = first_part + 1, 0, 0
            with contextlib.closing(ahead(checked())) as stream:
                for batch in stream:
                    rows, batches = rows + batch.batch.height, batches + 1
                    closes = rows >= settings.batch_rows or batches >= per_part
                    yield self._plan(shape, batch, context, redacted, part=part, closes=closes)
                    if closes:
                        part, rows, batches = part + 1, 0, 0
            if redacted is not None and redacted.pending:
                # The file ended inside a part: its copy is stored before the writes' last commit.
                redacted.flush(part)

        part = _Part(first_part)
        with Reporter(results) as reporter, contextlib.closing(ahead(planned())) as batches:
            for batch in batches:
                if batch.part != part.number:
                    part = _Part(batch.part)
                self._store(batch, bulk, reporter, part, write=write)
                if batch.closes:
                    self._commit(part, bulk, reporter, write=write, checkpoint=checkpoint)
            if part.open:
                self._commit(part, bulk, reporter, write=write, checkpoint=checkpoint)
        return part.number

    def _plan(
        self,
        shape: Shape,
        checked: Checked,
        context: BatchContext,
        redacted: RedactedCopy | None,
        *,
        part: int,
        closes: bool,
    ) -> _PlannedBatch:
        """What a batch will write: its messages, keys and table writes; its rows of the upload's
        redacted copy go into ``part`` here (they do not depend on what the write does).
        The lease is checked where the batch is written: a planned batch of a run that lost its
        lease is never written (its redacted part is the same whoever stores it)."""
        batch = checked.batch
        messages = checked.messages
        keys = checked.keys
        failed = checked.failed
        writes: list[TableWrite] = []
        combine = None
        if not failed.all():
            rows = pl.int_range(batch.height, eager=True, dtype=pl.Int64).alias(ROW)
            frame = batch.frame.with_columns(rows).filter(~failed)
            context.now = utcnow()
            plan = shape.import_type.writer(context, frame)
            messages = ordered(messages, plan.messages)
            if plan.keys is not None and plan.keys.height:
                keys = keys.scatter(plan.keys[ROW], plan.keys["key"])
            writes = [w for w in plan.writes if w.frame.height]
            for w in writes:
                w.frame = w.frame.filter(~failed_rows(messages))
                if not context.dry_run and w.table.name not in self.stored and not w.update_only:
                    # An initial load (so far): the writing stage will try the append first.
                    w.prepare(context.bulk.dialect)
            combine = plan.combine or _first_decides(writes)
        if redacted is not None:
            redacted.write_batch(
                checked.shown.rename(dict(zip(shape.header, shape.header_as_written, strict=True)))
            )
            if closes:
                # Before the commit that names the part done (in _commit, later): its parts must exist.
                redacted.flush(part)
        return _PlannedBatch(checked, messages, keys, writes, combine, part, closes)

    def _store(
        self,
        planned: _PlannedBatch,
        bulk: BulkSession,
        reporter: Reporter,
        part: _Part,
        *,
        write: bool,
    ) -> None:
        """Write a planned batch in its part's transaction (opened by the part's first write)
        and hand its rows to the part's result file."""
        self.lease.ensure()
        part.open = True
        batch = planned.checked.batch
        messages = planned.messages
        outcomes = pl.Series("outcome", [UNCHANGED] * batch.height, dtype=pl.Utf8)
        if planned.writes:
            per_write = written(
                bulk, planned.writes, write=write, stored=self.stored, in_transaction=part.in_transaction
            )
            part.in_transaction = part.in_transaction or write
            assert planned.combine is not None
            combined = planned.combine(per_write)
            outcomes = outcomes.scatter(combined[ROW], combined["outcome"])
        erred = error_rows(messages)
        if len(erred):
            outcomes = outcomes.scatter(erred, FAILED)
        self.tally.add(outcomes)
        reporter.add(
            batch=batch, outcomes=outcomes, keys=planned.keys, messages=messages, shown=planned.checked.shown
        )
        self.tally.file_line = batch.last_line
        if messages.height:
            part.messages.append(placed(messages, batch))

    def _commit(
        self, part: _Part, bulk: BulkSession, reporter: Reporter, *, write: bool, checkpoint: bool
    ) -> None:
        """Store the part's result file, then commit its rows and messages with the checkpoint
        that names it done."""
        # Parts first: once the commit below names this part done, its parts must exist.
        reporter.flush(part.number)
        cancel = self._checkpoint(
            bulk,
            messages=pl.concat(part.messages) if part.messages else pl.DataFrame(),
            batches=part.number if checkpoint else 0,
            begin=not part.in_transaction,
        )
        part.open = False
        if cancel:
            if not checkpoint:
                raise _Cancelled(part.number, checking=True)
            # All or nothing, once checked, writes to the end: stopping now would keep half a file.
            if not (self.abort_on_error and write):
                raise _Cancelled(part.number)


@dataclass
class _PlannedBatch:
    checked: Checked
    messages: pl.DataFrame
    keys: pl.Series
    writes: list[TableWrite]
    combine: Combine | None
    part: int
    # The part's last batch: the part commits after it.
    closes: bool


@dataclass
class _Part:
    """The batches written since the last commit: one transaction, one result part, one checkpoint."""

    number: int
    open: bool = False
    in_transaction: bool = False
    messages: list[pl.DataFrame] = field(default_factory=list)


def _first_decides(writes: list[TableWrite]) -> Any:
    """The write that decides each row's outcome; a later write (a session's group) that created
    or updated a row turns that row's unchanged into updated."""

    def combine(outcomes: list[pl.DataFrame]) -> pl.DataFrame:
        primary = next(o for w, o in zip(writes, outcomes, strict=True) if w.decides_outcome)
        touched = [
            o.filter(pl.col("outcome") != UNCHANGED)[ROW]
            for w, o in zip(writes, outcomes, strict=True)
            if not w.decides_outcome
        ]
        if not touched:
            return primary
        upgraded = pl.concat(touched).implode()
        return primary.with_columns(
            pl.when((pl.col("outcome") == UNCHANGED) & pl.col(ROW).is_in(upgraded))
            .then(pl.lit(UPDATED))
            .otherwise(pl.col("outcome"))
            .alias("outcome")
        )

    return combine
