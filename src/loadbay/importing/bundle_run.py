"""Run a bundle's import: its files one after another, in the manifest's order, as one import.

Each file is a pass of its own (importing/passes.py) under its import type and mode; the files
share the run's tally, part numbers, checkpoint and lease, and one cache (the ids a pass that
writes nothing accepted, which later files look up). A ``bulk`` file is the tenant's whole list
of its type: after its pass, what it left out is deactivated or removed (its sync rule), and
before anything is written every bulk file's sync is held to changeThreshold. The progress per
file is kept on the import row (``imports.bundle``) and commits with every checkpoint, so a
worker that takes the import over skips the files done and resumes the current one after its
last committed line. The result is a zip of the files' result CSVs; the kept copy, a zip of the
files with their secrets blanked.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any

import polars as pl

from loadbay.importing.bulk import BulkSession, bulk_session
from loadbay.importing.bundle import (
    BULK,
    DONE,
    RUNNING,
    BundleRefused,
    FileProgress,
    load_progress,
    unpack,
)
from loadbay.importing.bundle_zips import BundleZips, redacted_writer, result_writer
from loadbay.importing.csvtext import FileRejected
from loadbay.importing.lease import Lease
from loadbay.importing.messages import ERROR, cancelled_notice
from loadbay.importing.objects import stored_key, work_prefix
from loadbay.importing.passes import Source
from loadbay.importing.read import open_stored
from loadbay.importing.report import OUTCOMES, Tally
from loadbay.importing.results import RedactedCopy, ResultWriter
from loadbay.importing.run import ImportRun, _Cancelled
from loadbay.importing.shape import Shape, file_shape
from loadbay.importing.sync import anything_to_sync
from loadbay.importing.write import FAILED, UPDATED
from loadbay.models import CANCELLED, PROCESSED, ImportJob, ImportMessage
from loadbay.models import FAILED as STATUS_FAILED
from loadbay.runtime import Runtime


class BundleRun(ImportRun):
    def __init__(self, runtime: Runtime, job: ImportJob, lease: Lease) -> None:
        super().__init__(runtime, job, lease)
        self.files = load_progress(job.bundle) if self.resume_batches else []
        if self.dry_run and self.resume_batches:
            # A dry run's accepted ids live in memory only: taken over, it starts again.
            self.resume_batches, self.tally, self.files = 0, Tally(), []
        self.keys: dict[str, str] = {}
        self.shapes: dict[str, Shape] = {}
        self.current: FileProgress | None = None
        self.cache: dict[str, Any] = {}
        self.parts = self.resume_batches

    def execute(self) -> None:
        if not self.resume_batches:
            self.endings.clear_messages()
        try:
            bundle_format, unpacked = unpack(
                self.storage,
                key=self.source_key,
                prefix=work_prefix(self.job_id, "files/"),
                settings=self.runtime.settings,
            )
            self.endings.name_type(bundle_format.name)
            self.keys = {entry.name: key for entry, key in unpacked}
            if not self.files:
                self.files = [FileProgress(e.name, e.import_type, e.mode) for e, _ in unpacked]
            # Every file's header fits its type before a row of any is written.
            self.shapes = {f.name: self._shape(f) for f in self.files}
            if self.cancel_requested:
                raise _Cancelled(self.resume_batches)
            with bulk_session(self.runtime) as bulk:
                if not self.resume_batches:
                    for f in self.files:
                        if self._syncs(f, bulk):
                            # Refuses a sync over changeThreshold; the keys are read again later.
                            self._sync_keys(
                                self.shapes[f.name], bulk, self.keys[f.name], source=f"the bulk {f.name}"
                            )
                if self.abort_on_error and not self.dry_run and not self.resume_batches:
                    for f in self.files:
                        f.base = dict(self.tally.counts)
                        f.last_part = self._file_pass(f, bulk, write=False, checkpoint=False)
                        self._count(f)
                    if self.tally.counts[FAILED]:
                        # Each file's result lists its rows as they would have gone, as an
                        # aborted file's result does.
                        for f in self.files:
                            f.status = DONE
                        self._end(STATUS_FAILED, notice=self._aborted_notice())
                        return
                    self.tally, self.cache = Tally(), {}
                    self.files = [FileProgress(f.name, f.import_type, f.mode) for f in self.files]
                    self.endings.clear_messages()
                for f in self.files:
                    if f.status != DONE:
                        self._run_file(f, bulk)
            self._end(PROCESSED)
        except _Cancelled as cancel:
            if cancel.checking:
                self.tally = Tally(file_line=self.tally.file_line, message_count=self.tally.message_count)
                self.files = [FileProgress(f.name, f.import_type, f.mode) for f in self.files]
            else:
                self.parts = cancel.parts
            self.tally.message_count += 1
            self._end(CANCELLED, notice=cancelled_notice(self.job_id))
        except (FileRejected, BundleRefused) as exc:
            self._rejected(exc)

    def _shape(self, f: FileProgress) -> Shape:
        try:
            with self.storage.open(self.keys[f.name]) as binary:
                header = open_stored(binary).header
            return file_shape(
                header,
                settings=self.runtime.settings,
                scope=self.scope,
                forced=f.import_type,
                bundle=f.import_type.split(".", 1)[0],
            )
        except FileRejected as exc:
            # About the file as a whole, named first: "users.csv: the header does not fit ...".
            raise FileRejected(f"{f.name}: {exc.text}", line=None, code=exc.code) from None

    def _run_file(self, f: FileProgress, bulk: BulkSession) -> None:
        """Import one file (and sync it, when bulk), then record it done with a checkpoint."""
        resumed = f.status == RUNNING
        if not resumed:
            f.status, f.first_part, f.base = RUNNING, self.parts, dict(self.tally.counts)
            self.tally.file_line = 1
        self.current = f
        shape = self.shapes[f.name]
        sync = self._syncs(f, bulk)
        keys = (
            self._sync_keys(shape, bulk, self.keys[f.name], source=f"the bulk {f.name}")
            if sync and not f.synced
            else None
        )
        if not (resumed and f.synced):
            self.parts = self._file_pass(f, bulk, write=not self.dry_run, checkpoint=True, resumed=resumed)
        if keys is not None:
            f.synced = True
            self.parts = self._sync(shape, bulk, keys, part=self.parts + 1, write=not self.dry_run)
        f.status, f.last_part, f.lines = DONE, self.parts, self.tally.file_line
        self._count(f)
        follow = shape.import_type.after_updates
        in_transaction = False
        if follow is not None and not self.dry_run and f.counts.get(UPDATED, 0) > 0:
            bulk.run(follow(bulk.dialect, self.tenant_id), begin=True)
            in_transaction = True
        self._checkpoint(bulk, messages=pl.DataFrame(), batches=self.parts, begin=not in_transaction)

    def _syncs(self, f: FileProgress, bulk: BulkSession) -> bool:
        """Whether ``f`` is a bulk file with rows to sync: the tenant has rows of its type that
        another import wrote (none on a first load, whose files need not be read for keys).
        Rows this import wrote do not count, so a run taken over decides as the first did."""
        rule = self.shapes[f.name].import_type.sync
        if f.mode != BULK or rule is None:
            return False
        return anything_to_sync(bulk, rule=rule, tenant_id=self.tenant_id, import_id=self.job_id)

    def _file_pass(
        self, f: FileProgress, bulk: BulkSession, *, write: bool, checkpoint: bool, resumed: bool = False
    ) -> int:
        self.current = f
        if not checkpoint:
            self.tally.file_line = 1
        return self._pass_over(
            Source(self.keys[f.name], self.shapes[f.name], name=f.name, mode=f.mode),
            bulk,
            write=write,
            checkpoint=checkpoint,
            synced=f.mode == BULK,
            resume_line=self.tally.file_line if resumed else 0,
            first_part=self.parts if checkpoint else 0,
            cache=self.cache,
        )

    def _count(self, f: FileProgress) -> None:
        f.lines = self.tally.file_line
        f.counts = {k: self.tally.counts[k] - f.base.get(k, 0) for k in OUTCOMES}

    def _writers(self, shape: Shape) -> tuple[ResultWriter, RedactedCopy | None]:
        # Each file its own result parts (its columns) and, when it has secrets, its copy's parts.
        return result_writer(self.storage, self.job_id, shape), redacted_writer(
            self.storage, self.job_id, shape
        )

    def _progress(self) -> str | None:
        if self.current is not None and self.current.status == RUNNING:
            self._count(self.current)
        return json.dumps([asdict(f) for f in self.files])

    def _aborted_notice(self) -> ImportMessage:
        failed = self.tally.counts[FAILED]
        self.tally.message_count += 1
        return ImportMessage(
            import_id=self.job_id,
            seq=0,
            line=None,
            column=None,
            code="aborted",
            severity=ERROR,
            message=(
                f"onError=abort: {failed} row(s) of the bundle failed validation, so nothing was "
                "written; fix them and upload the bundle again."
            ),
        )

    def _rejected(self, exc: FileRejected | BundleRefused) -> None:
        text = exc.message if isinstance(exc, BundleRefused) else exc.text
        code = "invalid_bundle" if isinstance(exc, BundleRefused) else exc.code
        self.tally.message_count += 1
        message = ImportMessage(
            import_id=self.job_id,
            seq=self.tally.message_count,
            line=exc.line if isinstance(exc, FileRejected) else None,
            file=self.current.name if self.current is not None else None,
            column=None,
            code=code,
            severity=ERROR,
            message=text,
        )
        self._end(STATUS_FAILED, notice=message)

    def _end(self, status: str, *, notice: ImportMessage | None = None) -> None:
        """The result zip and the kept copy, then the ending on the import row."""
        self.lease.ensure()
        if self.current is not None and self.current.status == RUNNING:
            self._count(self.current)
        state = "processed" if status == PROCESSED else "failed"
        # Side by side: both are mostly zlib, which lets go of the GIL (1.8 s -> 1.2 s at the end
        # of a 1M-enrollment bundle).
        zips = BundleZips(self.storage, self.job_id, self.scope, self.files, self.shapes, self.keys)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kept-copy") as pool:
            kept_copy = pool.submit(zips.kept, state)
            result = zips.result(parts=self.parts, status=status, notice=notice)
            kept = kept_copy.result()
        with bulk_session(self.runtime) as bulk:
            # The files as they end (an aborted check's counts, a cancelled check's reset): the
            # ending itself records the counts, not the files.
            self._checkpoint(bulk, messages=pl.DataFrame(), batches=self.parts, begin=True)
        self.tally.file_line = sum(f.lines for f in self.files) or self.tally.file_line
        self.endings.finish(
            status,
            self.tally,
            final_key=kept or stored_key(self.job_id, state, "zip"),
            result=result,
            messages=[notice] if notice is not None else None,
        )
