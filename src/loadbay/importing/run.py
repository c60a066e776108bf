"""Run one import: read → validate → write → report, batch by batch, with the checkpoint and lease.

A pass over the file runs its stages side by side (importing/passes.py). Each part's rows,
messages and progress commit together; the progress row records how many parts are done
(``checkpoint_batches``) and the last physical line they cover (``file_line``).
A worker that takes a job over after a crash resumes after that line, so a re-run converges
to the same rows, counts and result file.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import polars as pl

from loadbay.importing.batch import BatchContext
from loadbay.importing.bulk import BulkSession, Refused, bulk_session
from loadbay.importing.csvtext import FileRejected
from loadbay.importing.endings import Endings
from loadbay.importing.lease import Lease, LeaseLost
from loadbay.importing.passes import Pass, Source
from loadbay.importing.read import open_stored
from loadbay.importing.report import Tally, checkpoint_steps
from loadbay.importing.results import RedactedCopy, ResultWriter
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
from loadbay.importing.write import FAILED
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
        if (job.options or {}).get("bundle"):
            # Here, not at the top: a bundle's run is an ImportRun (importing/bundle_run.py).
            from loadbay.importing.bundle_run import BundleRun

            run = BundleRun(runtime, job, lease)
    try:
        run.execute()
    finally:
        run.endings.close()
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
                bundle=self.options.get("file_bundle"),
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

    def _sync_keys(
        self, shape: Shape, bulk: BulkSession, key: str | None = None, *, source: str = "mode=sync"
    ) -> pl.DataFrame:
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
        keys = file_keys(
            self.storage, key=key or self.source_key, shape=shape, settings=self.runtime.settings
        )
        if not self.resume_batches:
            plan = plan_sync(bulk, rule=rule, tenant_id=self.tenant_id, import_id=self.job_id, keys=keys)
            threshold = float(self.options.get("change_threshold", DEFAULT_THRESHOLD))
            if (refusal := plan.refusal(threshold, source=source)) is not None:
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
        results, redacted = self._writers(shape)
        results.write_batch(**rows)
        results.flush(part)
        if redacted is not None:
            # Every part number has its copy part; the sync's has no line of the upload.
            redacted.flush(part)
        self._checkpoint(bulk, messages=pl.DataFrame(), batches=part, begin=not in_transaction, synced_at=now)
        return part

    def _writers(self, shape: Shape) -> tuple[ResultWriter, RedactedCopy | None]:
        """Where a pass over ``shape``'s file puts its result rows and its copy without secrets."""
        return self.endings.results(shape), self.endings.redacted_copy(shape)

    def _progress(self) -> str | None:
        """What a checkpoint records besides the counts (a bundle's progress per file)."""
        return None

    def _pass(self, shape: Shape, bulk: BulkSession, *, write: bool, checkpoint: bool) -> int:
        """One pass over the upload (see importing/passes.py); returns how many parts it stored."""
        resumed = checkpoint and self.resume_batches
        return self._pass_over(
            Source(self.source_key, shape, mode=self.options.get("file_mode")),
            bulk,
            write=write,
            checkpoint=checkpoint,
            synced=self.sync,
            resume_line=self.tally.file_line if resumed else 0,
            first_part=self.resume_batches if checkpoint else 0,
        )

    def _pass_over(
        self,
        source: Source,
        bulk: BulkSession,
        *,
        write: bool,
        checkpoint: bool,
        synced: bool,
        resume_line: int,
        first_part: int,
        cache: dict[str, Any] | None = None,
    ) -> int:
        """One pass over ``source`` from after ``resume_line``, its parts numbered after
        ``first_part``; ``synced``: the file is the tenant's whole list of its type."""
        shape = source.shape
        context = BatchContext(
            bulk=bulk,
            settings=self.runtime.settings,
            tenant_id=self.tenant_id,
            import_id=self.job_id,
            present=shape.present,
            now=utcnow(),
            dry_run=not write,
            synced_model=shape.import_type.sync.model if synced and shape.import_type.sync else None,
            cache=cache if cache is not None else {},
            file_mode=source.mode,
        )

        def commit(number: int, messages: pl.DataFrame, in_transaction: bool) -> None:
            cancel = self._checkpoint(
                bulk, messages=messages, batches=number if checkpoint else 0, begin=not in_transaction
            )
            if cancel:
                if not checkpoint:
                    raise _Cancelled(number, checking=True)
                # All or nothing, once checked, writes to the end: stopping now would keep half a file.
                if not (self.abort_on_error and write):
                    raise _Cancelled(number)

        results, redacted = self._writers(shape)
        one_pass = Pass(
            storage=self.storage,
            settings=self.runtime.settings,
            lease=self.lease,
            tally=self.tally,
            stored=self.stored,
            context=context,
            results=results,
            redacted=redacted,
            commit=commit,
        )
        return one_pass.run(source, write=write, resume_line=resume_line, first_part=first_part)

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
            bundle=self._progress(),
        )
        try:
            progress = bulk.run(steps, begin=begin, commit=True)[-1]
        except Refused as exc:
            raise LeaseLost(self.job_id) from exc
        return progress is not None and bool(progress["cancel"][0].as_py())
