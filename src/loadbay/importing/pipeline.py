"""Run one import: stream the stored file, validate in batches, write in bulk, report as it goes.

Each batch's rows, its result rows and the progress that counts them are committed together;
the progress row records how many batches are done (``checkpoint_batches``) and the last
physical line they cover (``file_line``). A worker that takes a job over after a crash
resumes after that line, so a re-run converges to the same rows, counts and result file.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

import polars as pl
from sqlalchemy import update
from sqlalchemy.orm import Session

from loadbay.importing.batch import CREATED, FAILED, UNCHANGED, UPDATED, BatchContext
from loadbay.importing.columns import validate_frame
from loadbay.importing.failed_copy import store_failed_copy
from loadbay.importing.messages import clear_messages, save_messages
from loadbay.importing.reader import Batch, FileRejected, open_csv
from loadbay.importing.registry import ImportType, describe_types, detect, get_type
from loadbay.importing.results import RedactedCopy, ResultWriter, part_key
from loadbay.models import FAILED as STATUS_FAILED
from loadbay.models import PENDING, PROCESSED, ImportJob, utcnow
from loadbay.runtime import Runtime

log = logging.getLogger("loadbay.importing")

# The status endpoint shows the first messages; the result file has every one.
MAX_STORED_MESSAGES = 1000
ON_ERROR_ABORT = "abort"


class LeaseLost(Exception):
    """Another worker took the job over; this one must stop without writing more."""


class Lease(Protocol):
    worker_id: str

    def ensure(self) -> None:
        """Raise LeaseLost if the lease is gone."""


def result_key(import_id: str) -> str:
    return f"import-csv/results/{import_id}.csv"


def stored_prefix(state: str) -> str:
    return f"import-csv/{state}/"


def stored_key(import_id: str, state: str) -> str:
    """Where the upload lives: ``pending`` until imported, then ``processed`` or ``failed``."""
    return f"{stored_prefix(state)}{import_id}.csv"


# A running import's files (result parts, redacted copies), deleted once it has finished.
WORK_ROOT = "import-csv/work/"
RESULT_PARTS = "result"


def work_prefix(import_id: str, what: str = "") -> str:
    """The import's work folder, or its ``what`` subfolder."""
    return f"{WORK_ROOT}{import_id}/{what}"


def result_part_key(import_id: str, number: int) -> str:
    """Part ``number`` of a running import's result: its rows of that batch, no header."""
    return part_key(work_prefix(import_id, RESULT_PARTS), number)


@dataclass
class Tally:
    file_line: int = 1
    counts: dict[str, int] = field(default_factory=lambda: {CREATED: 0, UPDATED: 0, UNCHANGED: 0, FAILED: 0})
    messages: list[str] = field(default_factory=list)
    message_count: int = 0
    # Numbered messages not yet stored in import_messages; saved with the next progress commit.
    unsaved: list[tuple[int, str]] = field(default_factory=list)

    def add_messages(self, messages: list[str]) -> None:
        self.unsaved.extend(enumerate(messages, start=self.message_count + 1))
        self.message_count += len(messages)
        room = MAX_STORED_MESSAGES - len(self.messages)
        if room > 0:
            self.messages.extend(messages[:room])

    def add_notice(self, notice: str) -> None:
        """A message about the whole import: listed before every line's messages."""
        self.messages.insert(0, notice)
        self.message_count += 1
        self.unsaved.append((0, notice))

    @classmethod
    def resumed(cls, job: ImportJob) -> Tally:
        return cls(
            file_line=job.file_line,
            counts={
                CREATED: job.created_count,
                UPDATED: job.updated_count,
                UNCHANGED: job.unchanged_count,
                FAILED: job.failed_count,
            },
            messages=list(job.messages or []),
            message_count=job.message_count,
        )


def run_import(runtime: Runtime, *, job_id: str, lease: Lease) -> None:
    """Import the job's file. Raises on infrastructure errors so the worker can retry."""
    with runtime.sessions() as session:
        job = session.get(ImportJob, job_id)
        if job is None or job.status != PENDING:
            return
        run = ImportRun(runtime, job, lease)
    run.execute()


@dataclass
class _Shape:
    """What the header tells: the type, canonical column names, where the secrets are."""

    import_type: ImportType
    header: list[str]
    raw_header: list[str]
    delimiter: str
    secret_indexes: list[int]


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
        self.total_lines = job.total_lines
        self.tally = Tally.resumed(job) if self.resume_batches else Tally()
        # The file's columns, once the header is read: they tell a message's column from its text.
        self.columns: frozenset[str] = frozenset()

    # -- the run ------------------------------------------------------------------

    def execute(self) -> None:
        if not self.resume_batches:
            # An attempt that starts over (a crash before the first checkpoint) finds them again.
            self._clear_messages()
        try:
            shape = self._read_shape()
            if self.abort_on_error and not self.dry_run and not self.resume_batches:
                # All or nothing: validate every row first; write only if none failed.
                batches = self._pass(shape, write=False, checkpoint=False)
                if self.tally.counts[FAILED]:
                    self._finish_aborted(shape, batches)
                    return
                self.tally = Tally()
                self._clear_messages()
            batches = self._pass(shape, write=not self.dry_run, checkpoint=True)
            self._finish_processed(shape, batches)
        except FileRejected as exc:
            self._reject(str(exc))

    def _read_shape(self) -> _Shape:
        with self.storage.open(self.source_key) as binary:
            stream = open_csv(binary)
        forced = self.options.get("import_type")
        if forced:
            import_type = get_type(str(forced))
            if import_type is None:
                raise FileRejected(f"Line 1: unknown import type {forced!r}.")
            problems = import_type.header_problems(stream.header)
            if problems:
                raise FileRejected(
                    f"Line 1: the header does not fit {import_type.name}: {'; '.join(problems)}. "
                    f"Expected: {describe_types(names=[import_type.name])}"
                )
        else:
            detected = detect(stream.header, scope=self.scope)
            if detected is None:
                found = ", ".join(stream.header)
                raise FileRejected(
                    f"Line 1: the header matches no import template. Columns found: {found}. "
                    f"Templates (* = mandatory): {describe_types(scope=self.scope)}"
                )
            import_type = detected
        header = [import_type.canonical(name) or name for name in stream.header]
        self.columns = frozenset(header)
        duplicates = sorted({name for name in header if header.count(name) > 1})
        if duplicates:
            raise FileRejected(
                f"Line 1: column(s) {', '.join(duplicates)} appear more than once in the header."
            )
        with self.runtime.write_sessions() as session:
            session.execute(
                update(ImportJob).where(ImportJob.id == self.job_id).values(import_type=import_type.name)
            )
            session.commit()
        return _Shape(
            import_type=import_type,
            header=header,
            raw_header=stream.header,
            delimiter=stream.delimiter,
            secret_indexes=[i for i, name in enumerate(header) if name in import_type.secret_columns],
        )

    def _writers(self, shape: _Shape) -> tuple[ResultWriter, RedactedCopy | None]:
        results = ResultWriter(
            self.storage,
            prefix=work_prefix(self.job_id, RESULT_PARTS),
            columns=shape.header,
            secret=shape.import_type.secret_columns,
        )
        # Only a file with secrets (or cells to mask) needs rewriting; any other is kept as it is.
        redacted = (
            RedactedCopy(
                self.storage,
                prefix=work_prefix(self.job_id, "copy"),
                header=shape.raw_header,
                secret_indexes=shape.secret_indexes,
                delimiter=shape.delimiter,
            )
            if shape.secret_indexes or shape.import_type.mask is not None
            else None
        )
        return results, redacted

    def _pass(self, shape: _Shape, *, write: bool, checkpoint: bool) -> int:
        """One pass over the file; returns how many batches it stored result parts for."""
        results, redacted = self._writers(shape)
        cache: dict[str, Any] = {}
        seen_keys: dict[str, int] = {}
        resume_line = self.tally.file_line if (checkpoint and self.resume_batches) else 0
        batch_number = self.resume_batches if checkpoint else 0
        key_positions = [shape.header.index(c) for c in shape.import_type.key_columns]
        with self.storage.open(self.source_key) as binary:
            for batch in open_csv(binary).batches(self.runtime.settings.batch_rows):
                if resume_line and batch.first_lines[0] <= resume_line:
                    # Rows committed before the crash: only their keys are needed, for the repeat check.
                    done = sum(1 for last in batch.last_lines if last <= resume_line)
                    for cells, first in zip(batch.rows[:done], batch.first_lines[:done], strict=True):
                        key = _row_key(cells, key_positions)
                        if key:
                            seen_keys.setdefault(key, first)
                    batch = Batch(batch.rows[done:], batch.first_lines[done:], batch.last_lines[done:])
                    if not batch.rows:
                        continue
                batch_number += 1
                self._process_batch(
                    shape,
                    batch,
                    results,
                    redacted,
                    seen_keys,
                    cache,
                    write=write,
                    part=batch_number,
                    checkpoint=checkpoint,
                )
        return batch_number

    def _process_batch(
        self,
        shape: _Shape,
        batch: Batch,
        results: ResultWriter,
        redacted: RedactedCopy | None,
        seen_keys: dict[str, int],
        cache: dict[str, Any],
        *,
        write: bool,
        part: int,
        checkpoint: bool,
    ) -> None:
        self.lease.ensure()
        import_type = shape.import_type
        header = shape.header
        width = len(header)
        rows = batch.rows
        # Problems are sparse: most rows have none, so only the rows that do get a list.
        problems: dict[int, list[str]] = {}
        for index in [i for i, cells in enumerate(rows) if len(cells) != width]:
            problems[index] = [
                f"the row has {len(rows[index])} fields but the header has {width}; "
                "check for a missing or extra delimiter or an unclosed quote"
            ]
            rows[index] = (rows[index] + [""] * width)[:width]
        columns = list(zip(*rows, strict=True))
        frame = pl.DataFrame(dict(zip(header, columns, strict=True)), schema=dict.fromkeys(header, pl.Utf8))
        shown = import_type.mask(frame) if import_type.mask is not None else frame
        if redacted is not None:
            redacted.write_batch(shown.rename(dict(zip(header, shape.raw_header, strict=True))))
        present = frozenset(header)
        checked = (
            validate_frame(frame, import_type.columns, present)
            .to_frame("problems")
            .with_row_index("index")
            .filter(pl.col("problems").list.len() > 0)
        )
        for index, found in zip(checked["index"].to_list(), checked["problems"].to_list(), strict=True):
            problems.setdefault(index, []).extend(found)
        # From the masked cells: a key is echoed in messages and the result file too.
        keys = _keys(shown, import_type.key_columns)
        for index, key in enumerate(keys):
            if key:
                first = seen_keys.setdefault(key, batch.first_lines[index])
                if first != batch.first_lines[index]:
                    problems.setdefault(index, []).append(
                        f"{import_type.key_label}: '{key}' already appears on line {first}"
                    )

        outcomes = [FAILED] * len(rows)
        written = None
        if len(problems) < len(rows):
            valid = [i for i in range(len(rows)) if i not in problems] if problems else list(range(len(rows)))
            with self.runtime.sessions() as session:
                context = BatchContext(
                    session=session,
                    settings=self.runtime.settings,
                    tenant_id=self.tenant_id,
                    import_id=self.job_id,
                    present=present,
                    dry_run=not write,
                    cache=cache,
                )
                written = import_type.writer(context, frame[valid] if problems else frame)
            for position, index in enumerate(valid):
                outcomes[index] = written.outcomes[position]
            for position, found in enumerate(written.messages):
                if found:
                    problems.setdefault(valid[position], []).extend(found)
            if written.keys is not None:
                for position, key in enumerate(written.keys):
                    if key:
                        keys[valid[position]] = key
        for outcome, count in Counter(outcomes).items():
            self.tally.counts[outcome] += count
        messages = [""] * len(rows)
        for index in sorted(problems):
            messages[index] = " | ".join(problems[index])
            self.tally.add_messages([f"Line {batch.first_lines[index]}: {m}" for m in problems[index]])
        results.write_batch(
            lines=batch.first_lines, outcomes=outcomes, keys=keys, messages=messages, frame=shown
        )
        self.tally.file_line = batch.last_lines[-1]
        # Parts first: once the commit below names this batch done, its parts must exist.
        results.flush(part)
        if redacted is not None:
            redacted.flush(part)
        # The batch's rows and the progress that counts them commit together.
        with self.runtime.write_sessions() as session:
            if write and written is not None and written.apply is not None:
                written.apply(session)
            self._save_progress(session, checkpoint_batches=part if checkpoint else 0)
            session.commit()

    def _save_progress(self, session: Session, **extra: Any) -> None:
        counts = self.tally.counts
        result = session.execute(
            update(ImportJob)
            .where(ImportJob.id == self.job_id, ImportJob.lease_owner == self.lease.worker_id)
            .values(
                file_line=self.tally.file_line,
                created_count=counts[CREATED],
                updated_count=counts[UPDATED],
                unchanged_count=counts[UNCHANGED],
                failed_count=counts[FAILED],
                messages=list(self.tally.messages),
                message_count=self.tally.message_count,
                **extra,
            )
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            session.rollback()
            raise LeaseLost(self.job_id)
        save_messages(session, import_id=self.job_id, numbered=self.tally.unsaved, columns=self.columns)
        self.tally.unsaved = []

    def _clear_messages(self) -> None:
        with self.runtime.write_sessions() as session:
            clear_messages(session, import_id=self.job_id)
            session.commit()

    # -- endings ------------------------------------------------------------------

    def _finish_processed(self, shape: _Shape, batches: int) -> None:
        self.lease.ensure()
        results, redacted = self._writers(shape)
        results.assemble(parts=batches, key=result_key(self.job_id))
        final_key = stored_key(self.job_id, "processed")
        if redacted is not None:
            redacted.assemble(parts=batches, key=final_key)
        else:
            self.storage.copy(self.source_key, final_key)
        self._finish(PROCESSED, final_key=final_key)

    def _finish_aborted(self, shape: _Shape, batches: int) -> None:
        self.lease.ensure()
        failed = self.tally.counts[FAILED]
        notice = (
            f"onError=abort: {failed} row(s) failed validation, so nothing was written; "
            "fix them and upload the file again."
        )
        self.tally.add_notice(notice)
        results, _redacted = self._writers(shape)
        results.assemble(parts=batches, key=result_key(self.job_id))
        self._store_failed_copy()
        self._finish(STATUS_FAILED, final_key=stored_key(self.job_id, "failed"))

    def _reject(self, message: str) -> None:
        """The file as a whole cannot be imported: status failed, the reason in messages and result."""
        self.lease.ensure()
        self.tally.add_messages([message])
        results = ResultWriter(
            self.storage, prefix=work_prefix(self.job_id, "rejected"), columns=[], secret=frozenset()
        )
        results.write(line=self.tally.file_line, outcome=FAILED, key="", messages=[message], cells=[])
        results.flush(1)
        results.assemble(parts=1, key=result_key(self.job_id))
        self._store_failed_copy()
        self._finish(STATUS_FAILED, final_key=stored_key(self.job_id, "failed"))

    def _finish(self, status: str, *, final_key: str) -> None:
        # Every line was read: the count is exact (the upload's may include trailing blank lines).
        # A file that stopped early keeps the upload's count: the lines it never reached.
        total = (
            self.tally.file_line
            if status == PROCESSED or self.total_lines is None
            else max(self.total_lines, self.tally.file_line)
        )
        with self.runtime.write_sessions() as session:
            self._save_progress(
                session,
                status=status,
                result_key=result_key(self.job_id),
                object_key=final_key,
                total_lines=total,
                finished_at=utcnow(),
                lease_owner=None,
                lease_expires_at=None,
            )
            session.commit()
        if final_key != self.source_key:
            self.storage.delete(self.source_key)
        # Only now: until the commit above, readers of the running import still need the parts.
        self.storage.delete_prefix(work_prefix(self.job_id))
        log.info("import %s %s: %s", self.job_id, status, self.tally.counts)

    def _store_failed_copy(self) -> None:
        forced = self.options.get("import_type")
        store_failed_copy(
            self.storage,
            source_key=self.source_key,
            final_key=stored_key(self.job_id, "failed"),
            work_prefix=work_prefix(self.job_id, "failed-copy"),
            import_type=get_type(str(forced)) if forced else None,
            scope=self.scope,
        )


def _keys(frame: pl.DataFrame, key_columns: tuple[str, ...]) -> list[str]:
    """Each row's natural key as text (parts joined by " / "); empty when any part is blank."""
    parts = [pl.col(name).str.strip_chars() for name in key_columns]
    blank = pl.any_horizontal(part.str.len_chars() == 0 for part in parts)
    key = pl.when(blank).then(pl.lit("")).otherwise(pl.concat_str(parts, separator=" / "))
    keys: list[str] = frame.select(key).to_series().to_list()
    return keys


def _row_key(cells: list[str], positions: list[int]) -> str:
    """The row's natural key as text; empty when any part of it is blank."""
    parts = [cells[p].strip() if p < len(cells) else "" for p in positions]
    return " / ".join(parts) if all(parts) else ""
