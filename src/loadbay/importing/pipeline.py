"""Run one import: stream the stored file, validate in batches, write in bulk, report as it goes."""

from __future__ import annotations

import logging
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from typing import Any, Protocol

import polars as pl
from sqlalchemy import update
from sqlalchemy.orm import Session

from loadbay.importing.batch import CREATED, FAILED, UNCHANGED, UPDATED, BatchContext
from loadbay.importing.columns import validate_frame
from loadbay.importing.reader import CsvStream, FileRejected, Row, open_csv
from loadbay.importing.registry import ImportType, describe_types, detect
from loadbay.importing.results import RedactedCopy, ResultWriter
from loadbay.models import FAILED as STATUS_FAILED
from loadbay.models import PROCESSED, ImportJob, utcnow
from loadbay.runtime import Runtime

log = logging.getLogger("loadbay.importing")

# The status endpoint shows the first messages; the result file has every one.
MAX_STORED_MESSAGES = 1000


class LeaseLost(Exception):
    """Another worker took the job over; this one must stop without writing more."""


class Lease(Protocol):
    worker_id: str

    def ensure(self) -> None:
        """Raise LeaseLost if the lease is gone."""


def result_key(import_id: str) -> str:
    return f"import-csv/results/{import_id}.csv"


def stored_key(import_id: str, state: str) -> str:
    """Where the upload lives: ``pending`` until imported, then ``processed`` or ``failed``."""
    return f"import-csv/{state}/{import_id}.csv"


@dataclass
class Tally:
    file_line: int = 1
    counts: dict[str, int] = field(default_factory=lambda: {CREATED: 0, UPDATED: 0, UNCHANGED: 0, FAILED: 0})
    messages: list[str] = field(default_factory=list)
    message_count: int = 0

    def add_messages(self, messages: list[str]) -> None:
        self.message_count += len(messages)
        room = MAX_STORED_MESSAGES - len(self.messages)
        if room > 0:
            self.messages.extend(messages[:room])


def run_import(runtime: Runtime, *, job_id: str, lease: Lease) -> None:
    """Import the job's file. Raises on infrastructure errors so the worker can retry."""
    with runtime.sessions() as session:
        job = session.get(ImportJob, job_id)
        if job is None or job.status != "pending":
            return
        run = ImportRun(runtime, job, lease)
    run.execute()


class ImportRun:
    def __init__(self, runtime: Runtime, job: ImportJob, lease: Lease) -> None:
        self.runtime = runtime
        self.job_id = job.id
        self.tenant_id = job.tenant_id
        self.source_key = job.object_key
        self.options: dict[str, Any] = dict(job.options or {})
        self.scope = str(self.options.get("scope", "rostering"))
        self.dry_run = bool(self.options.get("dry_run"))
        self.lease = lease
        self.tally = Tally()
        self.seen_keys: dict[str, int] = {}
        self.cache: dict[str, Any] = {}

    def execute(self) -> None:
        storage = self.runtime.storage
        with ExitStack() as stack:
            binary = stack.enter_context(storage.open(self.source_key))
            try:
                csv_stream = open_csv(binary)
                import_type = detect(csv_stream.header, scope=self.scope)
                if import_type is None:
                    raise FileRejected(
                        "Line 1: the header matches no import template. Columns found: "
                        f"{', '.join(csv_stream.header)}. Templates (* = mandatory): "
                        f"{describe_types(scope=self.scope)}"
                    )
                self._import(import_type, csv_stream, stack)
            except FileRejected as exc:
                self._reject(str(exc))

    def _import(self, import_type: ImportType, csv_stream: CsvStream, stack: ExitStack) -> None:
        header = [import_type.canonical(name) or name for name in csv_stream.header]
        duplicates = sorted({name for name in header if header.count(name) > 1})
        if duplicates:
            raise FileRejected(f"Line 1: column(s) {', '.join(duplicates)} appear more than once.")
        with self.runtime.write_sessions() as session:
            session.execute(
                update(ImportJob).where(ImportJob.id == self.job_id).values(import_type=import_type.name)
            )
            session.commit()

        secret_indexes = [i for i, name in enumerate(header) if name in import_type.secret_columns]
        results = stack.enter_context(ResultWriter(header, secret=import_type.secret_columns))
        # Only a file with secrets needs rewriting; any other upload is moved as it is.
        redacted = (
            stack.enter_context(
                RedactedCopy(csv_stream.header, secret_indexes=secret_indexes, delimiter=csv_stream.delimiter)
            )
            if secret_indexes
            else None
        )
        batch: list[Row] = []
        for row in csv_stream.rows:
            batch.append(row)
            if len(batch) >= self.runtime.settings.batch_rows:
                self._process_batch(import_type, header, batch, results, redacted)
                batch = []
        self._process_batch(import_type, header, batch, results, redacted)

        self.lease.ensure()
        storage = self.runtime.storage
        results.store(storage, result_key(self.job_id))
        final_key = stored_key(self.job_id, "processed")
        if redacted is not None:
            redacted.store(storage, final_key)
        else:
            storage.copy(self.source_key, final_key)
        self._finish(PROCESSED, final_key=final_key)

    def _process_batch(
        self,
        import_type: ImportType,
        header: list[str],
        rows: list[Row],
        results: ResultWriter,
        redacted: RedactedCopy | None,
    ) -> None:
        if not rows:
            return
        self.lease.ensure()
        width = len(header)
        problems: list[list[str]] = [[] for _ in rows]
        columns: list[list[str]] = [[] for _ in range(width)]
        for index, row in enumerate(rows):
            cells = row.cells
            if len(cells) != width:
                problems[index].append(
                    f"the row has {len(cells)} fields but the header has {width}; "
                    "check for a missing or extra delimiter or an unclosed quote"
                )
                cells = (cells + [""] * width)[:width]
            for position in range(width):
                columns[position].append(cells[position])
            if redacted is not None:
                redacted.write(row.cells)
        frame = pl.DataFrame(
            {name: columns[i] for i, name in enumerate(header)},
            schema=dict.fromkeys(header, pl.Utf8),
        )
        present = frozenset(header)
        for index, found in enumerate(validate_frame(frame, import_type.columns, present).to_list()):
            problems[index].extend(found)
        keys = [value.strip() for value in frame.get_column(import_type.key).to_list()]
        self._flag_repeated_keys(import_type.key, keys, rows, problems)

        valid = [i for i, found in enumerate(problems) if not found]
        outcomes = [FAILED] * len(rows)
        written = None
        if valid:
            with self.runtime.sessions() as session:
                context = BatchContext(
                    session=session,
                    settings=self.runtime.settings,
                    tenant_id=self.tenant_id,
                    import_id=self.job_id,
                    present=present,
                    dry_run=self.dry_run,
                    cache=self.cache,
                )
                written = import_type.writer(context, frame[valid])
            for position, index in enumerate(valid):
                outcomes[index] = written.outcomes[position]
                problems[index].extend(written.messages[position])
        for index, row in enumerate(rows):
            self.tally.counts[outcomes[index]] += 1
            self.tally.add_messages([f"Line {row.first_line}: {m}" for m in problems[index]])
            results.write(
                line=row.first_line,
                outcome=outcomes[index],
                key=keys[index],
                messages=problems[index],
                cells=row.cells,
            )
        self.tally.file_line = rows[-1].last_line
        # The batch's rows and the progress that counts them commit together.
        with self.runtime.write_sessions() as session:
            if written is not None and written.apply is not None and not self.dry_run:
                written.apply(session)
            self._save_progress(session)
            session.commit()

    def _flag_repeated_keys(
        self, key_column: str, keys: list[str], rows: list[Row], problems: list[list[str]]
    ) -> None:
        for index, key in enumerate(keys):
            if not key:
                continue
            first = self.seen_keys.setdefault(key, rows[index].first_line)
            if first != rows[index].first_line:
                problems[index].append(f"{key_column}: '{key}' already appears on line {first}")

    def _save_progress(self, session: Session, **final: Any) -> None:
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
                **final,
            )
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            session.rollback()
            raise LeaseLost(self.job_id)

    def _finish(self, status: str, *, final_key: str) -> None:
        with self.runtime.write_sessions() as session:
            self._save_progress(
                session,
                status=status,
                result_key=result_key(self.job_id),
                object_key=final_key,
                total_lines=self.tally.file_line,
                finished_at=utcnow(),
                lease_owner=None,
                lease_expires_at=None,
            )
            session.commit()
        if final_key != self.source_key:
            self.runtime.storage.delete(self.source_key)
        log.info("import %s %s: %s", self.job_id, status, self.tally.counts)

    def _reject(self, message: str) -> None:
        """The file as a whole cannot be imported: status failed, the reason in messages and result."""
        self.lease.ensure()
        self.tally.add_messages([message])
        storage = self.runtime.storage
        with ResultWriter([], secret=frozenset()) as results:
            results.write(line=self.tally.file_line, outcome=FAILED, key="", messages=[message], cells=[])
            results.store(storage, result_key(self.job_id))
        final_key = stored_key(self.job_id, "failed")
        self._store_failed_copy(final_key)
        self._finish(STATUS_FAILED, final_key=final_key)

    def _store_failed_copy(self, final_key: str) -> None:
        """Keep a rejected upload, blanking any column whose name says it holds a password."""
        storage = self.runtime.storage
        with storage.open(self.source_key) as source:
            try:
                stream: CsvStream | None = open_csv(source)
            except FileRejected:
                stream = None
            secret = (
                [i for i, name in enumerate(stream.header) if "password" in name.lower()] if stream else []
            )
            if stream is None or not secret:
                storage.copy(self.source_key, final_key)
                return
            with RedactedCopy(stream.header, secret_indexes=secret, delimiter=stream.delimiter) as copy:
                # Rows past a line the reader cannot parse are dropped rather than kept unredacted.
                with suppress(FileRejected):
                    for row in stream.rows:
                        copy.write(row.cells)
                copy.store(storage, final_key)
