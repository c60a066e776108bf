"""How an import run ends: processed, aborted (onError=abort), cancelled, or rejected as a whole.

Each ending assembles the result file from the parts the batches stored, keeps a copy of the
upload without secrets, and records the ending on the import row in one short transaction,
only while this worker still holds the lease. Its work files go only after that commit: until
then readers of the running import, or a worker taking it over, still need them.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from loadbay.importing.csvtext import FileRejected
from loadbay.importing.ended import import_ended
from loadbay.importing.failed_copy import store_failed_copy
from loadbay.importing.lease import Lease, LeaseLost
from loadbay.importing.messages import ERROR, cancelled_notice, clear_messages
from loadbay.importing.objects import RESULT_PARTS, result_key, stored_key, work_prefix
from loadbay.importing.registry import get_type
from loadbay.importing.report import Tally
from loadbay.importing.results import RedactedCopy, ResultWriter, redacted_copy, result_writer
from loadbay.importing.shape import Shape
from loadbay.importing.write import FAILED
from loadbay.models import CANCELLED, PROCESSED, ImportJob, ImportMessage, utcnow
from loadbay.models import FAILED as STATUS_FAILED
from loadbay.runtime import Runtime

log = logging.getLogger("loadbay.importing")


class Endings:
    def __init__(self, runtime: Runtime, job: ImportJob, lease: Lease) -> None:
        self.runtime = runtime
        self.storage = runtime.storage
        self.job_id = job.id
        self.source_key = job.object_key
        self.total_lines = job.total_lines
        self.options: dict[str, Any] = dict(job.options or {})
        self.scope = job.scope
        self.tenant_id = job.tenant_id
        self.import_type = job.import_type
        self.lease = lease
        # One writer per file's header for the whole run (a bundle has its own).
        self._results: dict[tuple[str, ...], ResultWriter] = {}
        self._copies: dict[tuple[str, ...], RedactedCopy | None] = {}

    def clear_messages(self) -> None:
        with self.runtime.write_sessions() as session:
            clear_messages(session, import_id=self.job_id)
            session.commit()

    def name_type(self, name: str) -> None:
        self.import_type = name
        with self.runtime.write_sessions() as session:
            session.execute(update(ImportJob).where(ImportJob.id == self.job_id).values(import_type=name))
            session.commit()

    def redacted_copy(self, shape: Shape) -> RedactedCopy | None:
        """The writer of the upload's copy without secrets; None when the file has nothing to hide."""
        key = tuple(shape.header)
        if key not in self._copies:
            self._copies[key] = redacted_copy(self.storage, work_prefix(self.job_id, "copy"), shape)
        return self._copies[key]

    def results(self, shape: Shape) -> ResultWriter:
        """The writer of the result file's parts, which a run writes and an ending assembles.
        One per file for the whole run: the ending stores its spool when it holds every part."""
        key = tuple(shape.header)
        if key not in self._results:
            self._results[key] = result_writer(self.storage, work_prefix(self.job_id, RESULT_PARTS), shape)
        return self._results[key]

    def close(self) -> None:
        """Drop the writers' spools."""
        for writer in [*self._results.values(), *self._copies.values()]:
            if writer is not None:
                writer.close()
        self._results.clear()
        self._copies.clear()

    def processed(self, shape: Shape, tally: Tally, parts: int) -> None:
        self.lease.ensure()
        final_key = stored_key(self.job_id, "processed")
        redacted = self.redacted_copy(shape)
        # One after the other: side by side they saved 0.1 s of a 1M-row users import and
        # held 30-60 MB more at its peak (docs/engine.md).
        self.results(shape).assemble(parts=parts, key=result_key(self.job_id))
        if redacted is not None:
            redacted.assemble(parts=parts, key=final_key)
        else:
            self.storage.copy(self.source_key, final_key)
        self._finish(PROCESSED, tally, final_key=final_key)

    def aborted(self, shape: Shape, tally: Tally, parts: int) -> None:
        self.lease.ensure()
        failed = tally.counts[FAILED]
        notice = ImportMessage(
            import_id=self.job_id,
            seq=0,
            line=None,
            column=None,
            code="aborted",
            severity=ERROR,
            message=(
                f"onError=abort: {failed} row(s) failed validation, so nothing was written; "
                "fix them and upload the file again."
            ),
        )
        tally.message_count += 1
        self.results(shape).assemble(parts=parts, key=result_key(self.job_id))
        self._store_failed_copy()
        self._finish(STATUS_FAILED, tally, final_key=stored_key(self.job_id, "failed"), messages=[notice])

    def cancelled(self, shape: Shape, tally: Tally, parts: int) -> None:
        """Stopped on request after ``parts`` batches: their rows stay, the result file lists the
        lines read so far, and the upload is kept without its secrets, as for a failed import."""
        self.lease.ensure()
        tally.message_count += 1
        self.results(shape).assemble(parts=parts, key=result_key(self.job_id))
        self._store_failed_copy()
        notice = cancelled_notice(self.job_id)
        self._finish(CANCELLED, tally, final_key=stored_key(self.job_id, "failed"), messages=[notice])

    def rejected(self, exc: FileRejected, tally: Tally) -> None:
        """The file as a whole cannot be imported: status failed, the reason in messages and result."""
        self.lease.ensure()
        tally.message_count += 1
        message = ImportMessage(
            import_id=self.job_id,
            seq=tally.message_count,
            line=exc.line,
            column=None,
            code=exc.code,
            severity=ERROR,
            message=exc.text,
        )
        results = ResultWriter(
            self.storage, prefix=work_prefix(self.job_id, "rejected"), columns=[], secret=frozenset()
        )
        results.write(line=tally.file_line, outcome=FAILED, key="", messages=[str(exc)], cells=[])
        results.flush(1)
        results.assemble(parts=1, key=result_key(self.job_id))
        self._store_failed_copy()
        self._finish(STATUS_FAILED, tally, final_key=stored_key(self.job_id, "failed"), messages=[message])

    def finish(
        self,
        status: str,
        tally: Tally,
        *,
        final_key: str,
        result: str,
        messages: list[ImportMessage] | None = None,
    ) -> None:
        """Record an ending whose result file (``result``) and kept copy (``final_key``) the run
        stored itself (a bundle's zips)."""
        self.lease.ensure()
        self._finish(status, tally, final_key=final_key, messages=messages, result=result)

    def _finish(
        self,
        status: str,
        tally: Tally,
        *,
        final_key: str,
        messages: list[ImportMessage] | None = None,
        result: str | None = None,
    ) -> None:
        # Every line was read: the count is exact (the upload's may include trailing blank lines).
        # A file that stopped early keeps the upload's count: the lines it never reached.
        total = (
            tally.file_line
            if status == PROCESSED or self.total_lines is None
            else max(self.total_lines, tally.file_line)
        )
        with self.runtime.write_sessions() as session:
            self._record(
                session,
                status=status,
                tally=tally,
                final_key=final_key,
                total=total,
                result=result or result_key(self.job_id),
            )
            session.add_all(messages or [])
            # In the same commit as the ending: the event is queued if and only if the import ended.
            import_ended(
                session,
                import_id=self.job_id,
                tenant_id=self.tenant_id,
                scope=self.scope,
                import_type=self.import_type,
                status=status,
                counts=tally.counts,
            )
            session.commit()
        if final_key != self.source_key:
            self.storage.delete(self.source_key)
        # Only now: until the commit above, readers of the running import still need the parts.
        self.storage.delete_prefix(work_prefix(self.job_id))
        log.info("import %s %s: %s", self.job_id, status, tally.counts)

    def _record(
        self, session: Session, *, status: str, tally: Tally, final_key: str, total: int, result: str
    ) -> None:
        recorded = session.execute(
            update(ImportJob)
            .where(ImportJob.id == self.job_id, ImportJob.lease_owner == self.lease.worker_id)
            .values(
                **tally.progress(),
                status=status,
                result_key=result,
                object_key=final_key,
                total_lines=total,
                finished_at=utcnow(),
                lease_owner=None,
                lease_expires_at=None,
            )
        )
        if not recorded.rowcount:  # type: ignore[attr-defined]
            session.rollback()
            raise LeaseLost(self.job_id)

    def _store_failed_copy(self) -> None:
        forced = self.options.get("import_type")
        if not self.storage.exists(self.source_key):
            return  # nothing left to keep
        store_failed_copy(
            self.storage,
            source_key=self.source_key,
            final_key=stored_key(self.job_id, "failed"),
            work_prefix=work_prefix(self.job_id, "failed-copy"),
            import_type=get_type(str(forced)) if forced else None,
            scope=self.scope,
        )
