"""Workers: claim a job, hold its lease with a heartbeat, run the import, repeat."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from loadbay.db import is_postgresql, is_transient_db_error, transaction
from loadbay.importing import bulk
from loadbay.importing.bulk import BulkError, Busy, Conflict
from loadbay.importing.run import LeaseLost, run_import
from loadbay.jobs.periodic import PeriodicTask, periodic_tasks
from loadbay.jobs.service import (
    NOTIFY_CHANNEL,
    claim_next_job,
    fail_exhausted_jobs,
    hand_back_job,
    release_job,
    renew_lease,
)
from loadbay.kit.storage import StorageError
from loadbay.logs import log_fields
from loadbay.metrics.families import IMPORT_RUN_SECONDS, WORKERS, WORKERS_BUSY
from loadbay.runtime import Runtime
from loadbay.webhooks.dispatch import Dispatcher

log = logging.getLogger("loadbay.jobs")


def public_reason(exc: Exception) -> str:
    """What went wrong, as a client may read it: never the exception's text, which can name the
    server's paths and hosts."""
    if isinstance(exc, Conflict):
        return "a conflict with another import writing the same rows"
    if isinstance(exc, StorageError):
        return "an object storage error"
    if isinstance(exc, BulkError | DBAPIError):
        return "a database error"
    return "an internal error"


class JobLease:
    """The lease on one job, renewed from a background thread until released."""

    def __init__(self, runtime: Runtime, *, job_id: str, worker_id: str) -> None:
        self.runtime = runtime
        self.job_id = job_id
        self.worker_id = worker_id
        self._lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{job_id[:8]}", daemon=True)

    def __enter__(self) -> JobLease:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def ensure(self) -> None:
        if self._lost.is_set():
            raise LeaseLost(self.job_id)

    def give_up(self) -> None:
        """Make the import stop at its next check, as if another worker had taken it over."""
        self._lost.set()

    def _beat(self) -> None:
        interval = self.runtime.settings.lease_seconds / 3
        while not self._stop.wait(interval):
            try:
                with transaction(self.runtime.write_sessions) as session:
                    held = renew_lease(
                        session,
                        job_id=self.job_id,
                        worker_id=self.worker_id,
                        lease_seconds=self.runtime.settings.lease_seconds,
                    )
            except Exception as exc:
                # The database blinked: keep trying until the lease would have run out anyway.
                log.warning("heartbeat for %s failed: %s", self.job_id, exc)
                continue
            if not held:
                self._lost.set()
                return


class Worker:
    """One worker loop. ``run_forever`` until ``stop`` is set; ``run_once`` for a single job."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        name: str | None = None,
        housekeeping: bool = True,
        tasks: list[PeriodicTask] | None = None,
    ) -> None:
        self.runtime = runtime
        # Whether this worker also runs the periodic tasks (jobs/periodic.py's schedule by default).
        self.housekeeping = housekeeping
        self.tasks = periodic_tasks() if tasks is None else tasks
        self.worker_id = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stop = threading.Event()
        self.lease: JobLease | None = None
        self._next_run: dict[str, float] = {}
        # Set when an import failed while the database or object store was unreachable; until
        # both answer again the worker claims nothing, so an outage cannot use up attempts.
        self._outage = False

    def run_once(self) -> bool:
        """Claim and run one job; False when there was nothing to do (or nothing can be done yet)."""
        settings = self.runtime.settings
        if self._outage:
            if not self.infrastructure_ready():
                return False
            log.info("worker %s: database and object store answer again", self.worker_id)
            self._outage = False
        with transaction(self.runtime.write_sessions) as session:
            fail_exhausted_jobs(session, max_attempts=settings.max_attempts)
            job_id = claim_next_job(
                session,
                worker_id=self.worker_id,
                lease_seconds=settings.lease_seconds,
                max_attempts=settings.max_attempts,
                tenant_max_running=settings.tenant_max_running,
            )
        if job_id is None:
            return False
        with (
            log_fields(reference=job_id),
            JobLease(self.runtime, job_id=job_id, worker_id=self.worker_id) as lease,
        ):
            log.info("worker %s claimed import %s", self.worker_id, job_id)
            self.lease = lease
            WORKERS_BUSY.inc()
            started = time.monotonic()
            try:
                import_type = run_import(self.runtime, job_id=job_id, lease=lease)
                IMPORT_RUN_SECONDS.labels(import_type or "unknown").observe(time.monotonic() - started)
            except LeaseLost:
                log.warning("stopped import %s: this worker no longer holds it", job_id)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                self._outage = not self.infrastructure_ready()
                # A busy database (no free connection, SQLite's lock held past its timeout) is
                # load, not the file: it must not use up an attempt even when it has passed.
                busy = isinstance(exc, Busy) or is_transient_db_error(exc)
                log.exception(
                    "import %s raised; it will be retried%s",
                    job_id,
                    " once the database and object store answer" if self._outage else "",
                )
                with transaction(self.runtime.write_sessions) as session:
                    release_job(
                        session,
                        job_id=job_id,
                        worker_id=self.worker_id,
                        error=error,
                        max_attempts=settings.max_attempts,
                        count_attempt=not (self._outage or busy),
                        reason=public_reason(exc),
                    )
            finally:
                WORKERS_BUSY.dec()
                self.lease = None
        return True

    def infrastructure_ready(self) -> bool:
        """Whether the database and the object store both answer."""
        try:
            with self.runtime.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            self.runtime.storage.check()
        except Exception as exc:
            # Once per outage, not at every poll.
            level = logging.DEBUG if self._outage else logging.WARNING
            log.log(level, "worker %s waits: %s", self.worker_id, str(exc).splitlines()[0][:200])
            return False
        return True

    def hand_back(self) -> bool:
        """Give the running job back for another worker to take at once; False if none was running."""
        lease = self.lease
        if lease is None:
            return False
        lease.give_up()
        try:
            with transaction(self.runtime.write_sessions) as session:
                handed = hand_back_job(session, job_id=lease.job_id, worker_id=self.worker_id)
        except Exception as exc:
            # The lease simply runs out and another worker takes the job over.
            log.warning("could not hand back import %s: %s", lease.job_id, exc)
            return False
        if handed:
            log.info("handed back import %s unfinished", lease.job_id)
        return handed

    def run_forever(self) -> None:
        wakeup = self.runtime.wakeup
        try:
            bulk.warm(self.runtime)
        except OSError as exc:  # the first import will try again, and say why if it cannot
            log.warning("worker %s could not start its SQLite writer: %s", self.worker_id, exc)
        while not self.stop.is_set():
            if self.housekeeping:
                self._run_periodic()
            try:
                worked = self.run_once()
            except Exception as exc:
                # Database or storage unreachable: wait and try again rather than die.
                if not self._outage:
                    log.warning("worker %s could not claim a job: %s", self.worker_id, exc)
                self._outage = True
                worked = False
            if not worked and not self.stop.is_set():
                wakeup.wait(self.runtime.settings.poll_seconds)
                wakeup.clear()

    # -- housekeeping (jobs/periodic.py) ----------------------------------------------------------

    def _run_periodic(self) -> None:
        """Run each registered task whose interval has passed; a failure waits for the next turn."""
        now = time.monotonic()
        for task in self.tasks:
            if now < self._next_run.get(task.name, 0.0):
                continue
            self._next_run[task.name] = now + task.interval(self.runtime.settings)
            try:
                task.run(self.runtime)
            except Exception as exc:
                log.warning(
                    "%s failed: %s",
                    task.name,
                    str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__,
                )
                # A sweep that found the database or the store unreachable: claim nothing until
                # both answer, as after an import that failed in an outage. An import claimed now
                # would fail too, perhaps just as they come back, and lose an attempt to the outage.
                self._outage = self._outage or not self.infrastructure_ready()


class JobListener:
    """PostgreSQL only: ``LISTEN`` for new jobs and wake the idle workers of this process at once."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="loadbay-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _listen(self) -> None:
        import psycopg

        url = self.runtime.engine.url.set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as connection:
                    connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    # Anything queued while nobody was listening is found by the next claim.
                    self.runtime.wakeup.set()
                    while not self._stop.is_set():
                        for _notice in connection.notifies(timeout=1.0):
                            self.runtime.wakeup.set()
            except psycopg.Error as exc:
                # Polling still finds the work; try to listen again in a while.
                log.warning("listening for new imports failed: %s", str(exc).splitlines()[0][:200])
                self._stop.wait(max(self.runtime.settings.poll_seconds, 2.0))


class WorkerPool:
    """Worker threads: inside ``loadbay serve``, or the whole of a ``loadbay worker`` process."""

    def __init__(self, runtime: Runtime, *, size: int) -> None:
        self.runtime = runtime
        # One housekeeper per process: the others' sweeps would only repeat its listing and queries.
        self.workers = [Worker(runtime, housekeeping=i == 0) for i in range(size)]
        WORKERS.inc(size)
        self.threads = [
            threading.Thread(target=w.run_forever, name=f"loadbay-worker-{i}", daemon=True)
            for i, w in enumerate(self.workers)
        ]
        self.listener = JobListener(runtime) if size and is_postgresql(runtime.engine) else None
        # Webhook deliveries go out from every process that runs imports, one at a time each.
        self.dispatcher = Dispatcher(runtime) if size else None

    def start(self) -> None:
        if self.listener is not None:
            self.listener.start()
        for thread in self.threads:
            thread.start()
        if self.dispatcher is not None:
            self.dispatcher.start()

    def stop(self, grace_seconds: float | None = None) -> bool:
        """Stop claiming, let running imports finish for the grace period, then hand back the rest.

        Returns True when every worker thread has ended.
        """
        grace = self.runtime.settings.worker_grace_seconds if grace_seconds is None else grace_seconds
        for worker in self.workers:
            worker.stop.set()
        self.runtime.wakeup.set()
        deadline = time.monotonic() + grace
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        for worker, thread in zip(self.workers, self.threads, strict=True):
            if thread.is_alive():
                worker.hand_back()
        # An import stops at its next batch boundary; whatever it still tries to commit is refused.
        deadline = time.monotonic() + 5
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if self.listener is not None:
            self.listener.stop()
        if self.dispatcher is not None:
            # An attempt under way ends within its time limit; one cut short is retried.
            self.dispatcher.close(timeout=1.0)
        WORKERS.dec(len(self.workers))
        return not any(thread.is_alive() for thread in self.threads)
