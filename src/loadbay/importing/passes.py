"""One pass over one file: read → validate → plan → write → report, committed part by part.

The stages overlap a batch apart, each in its own thread (polars, numpy and the database
drivers release the GIL): batch N+2 is read and validated while N+1 is planned and N is
written, and the rows of N-1 go into the result file. A stage hands a batch over and waits
until the next one takes it, so at most two batches live between two stages and memory stays
flat whatever the file size. Consecutive batches make a part of about ``checkpoint_bytes`` of
the file: its rows, messages, result part and progress commit together, in one transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import polars as pl

from loadbay.config import Settings
from loadbay.importing.ahead import ahead
from loadbay.importing.batch import BatchContext, Combine
from loadbay.importing.lease import Lease
from loadbay.importing.messages import error_rows, ordered
from loadbay.importing.planning import failed_rows
from loadbay.importing.read import open_stored
from loadbay.importing.report import Reporter, Tally, placed
from loadbay.importing.results import RedactedCopy, ResultWriter
from loadbay.importing.shape import Shape
from loadbay.importing.tables import ROW
from loadbay.importing.validate import Checked, Validator
from loadbay.importing.write import FAILED, UNCHANGED, UPDATED, TableWrite, written
from loadbay.kit.storage import ObjectStorage
from loadbay.models import utcnow


@dataclass(frozen=True)
class Source:
    """One CSV file an import reads: its upload, or one file of a bundle."""

    key: str
    shape: Shape
    # In a bundle: the file's name (users.csv), which its messages carry, and bulk or delta.
    name: str | None = None
    mode: str | None = None


# Commits a part: its number, its messages (placed), whether a transaction is open. It raises to
# stop the pass (a cancel, a lost lease).
Commit = Callable[[int, pl.DataFrame, bool], None]


@dataclass
class Pass:
    """What a pass over one file shares with its import run."""

    storage: ObjectStorage
    settings: Settings
    lease: Lease
    tally: Tally
    # Tables where the run has met a stored row: the others are loaded by appends first.
    stored: set[str]
    context: BatchContext
    results: ResultWriter
    redacted: RedactedCopy | None
    commit: Commit

    def run(self, source: Source, *, write: bool, resume_line: int = 0, first_part: int = 0) -> int:
        """Pass over ``source`` from after ``resume_line``, numbering parts after
        ``first_part``; returns the number of its last part."""
        settings = self.settings
        shape = source.shape
        validator = Validator(shape.import_type, shape.present)
        per_part = max(1, settings.checkpoint_bytes // settings.batch_bytes)
        redacted = self.redacted

        def checked() -> Iterator[Checked]:
            with self.storage.open(source.key) as binary:
                stored = open_stored(binary)
                for batch in stored.batches(
                    shape.header,
                    batch_bytes=settings.batch_bytes,
                    batch_rows=settings.slice_rows,
                    # A checkpoint of exactly batch_rows rows stays so when slices are as long.
                    even=settings.slice_rows < settings.batch_rows,
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
                    yield self._plan(shape, batch, part=part, closes=closes)
                    if closes:
                        part, rows, batches = part + 1, 0, 0
            if redacted is not None and redacted.pending:
                # The file ended inside a part: its copy is stored before the writes' last commit.
                redacted.flush(part)

        part = _Part(first_part)
        with Reporter(self.results) as reporter, contextlib.closing(ahead(planned())) as batches:
            for batch in batches:
                if batch.part != part.number:
                    part = _Part(batch.part)
                self._store(batch, reporter, part, write=write, file=source.name)
                if batch.closes:
                    self._commit(part, reporter)
            if part.open:
                self._commit(part, reporter)
        return part.number

    def _plan(self, shape: Shape, checked: Checked, *, part: int, closes: bool) -> _PlannedBatch:
        """What a batch will write: its messages, keys and table writes; its rows of the upload's
        redacted copy go into ``part`` here (they do not depend on what the write does).
        The lease is checked where the batch is written: a planned batch of a run that lost its
        lease is never written (its redacted part is the same whoever stores it)."""
        context = self.context
        redacted = self.redacted
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
        self, planned: _PlannedBatch, reporter: Reporter, part: _Part, *, write: bool, file: str | None
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
                self.context.bulk,
                planned.writes,
                write=write,
                stored=self.stored,
                in_transaction=part.in_transaction,
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
            part.messages.append(placed(messages, batch, file=file))

    def _commit(self, part: _Part, reporter: Reporter) -> None:
        """Store the part's result file, then commit its rows and messages with the checkpoint
        that names it done."""
        # Parts first: once the commit below names this part done, its parts must exist.
        reporter.flush(part.number)
        part.open = False
        self.commit(
            part.number, pl.concat(part.messages) if part.messages else pl.DataFrame(), part.in_transaction
        )


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


def _first_decides(writes: list[TableWrite]) -> Combine:
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
