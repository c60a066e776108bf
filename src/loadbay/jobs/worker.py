"""Workers: claim a job, hold its lease with a heartbeat, run the import, repeat."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid

from loadbay.db import transaction
from loadbay.importing.pipeline import LeaseLost, run_import
from loadbay.jobs.service import claim_next_job, fail_exhausted_jobs, release_job, renew_lease
from loadbay.runtime import Runtime

log = logging.getLogger("loadbay.jobs")


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

    def __init__(self, runtime: Runtime, *, name: str | None = None) -> None:
        self.runtime = runtime
        self.worker_id = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stop = threading.Event()

    def run_once(self) -> bool:
        """Claim and run one job; False when there was nothing to do."""
        settings = self.runtime.settings
        with transaction(self.runtime.write_sessions) as session:
            fail_exhausted_jobs(session, max_attempts=settings.max_attempts)
            job_id = claim_next_job(
                session,
                worker_id=self.worker_id,
                lease_seconds=settings.lease_seconds,
                max_attempts=settings.max_attempts,
            )
        if job_id is None:
            return False
        log.info("worker %s claimed import %s", self.worker_id, job_id)
        with JobLease(self.runtime, job_id=job_id, worker_id=self.worker_id) as lease:
            try:
                run_import(self.runtime, job_id=job_id, lease=lease)
            except LeaseLost:
                log.warning("lost the lease on %s; another worker has it", job_id)
            except Exception as exc:
                log.exception("import %s raised; it will be retried", job_id)
                error = f"{type(exc).__name__}: {exc}"
                with transaction(self.runtime.write_sessions) as session:
                    release_job(
                        session,
                        job_id=job_id,
                        worker_id=self.worker_id,
                        error=error,
                        max_attempts=settings.max_attempts,
                    )
        return True

    def run_forever(self) -> None:
        wakeup = self.runtime.wakeup
        while not self.stop.is_set():
            try:
                worked = self.run_once()
            except Exception as exc:
                # Database or storage unreachable: wait and try again rather than die.
                log.warning("worker %s could not claim a job: %s", self.worker_id, exc)
                worked = False
            if not worked:
                wakeup.wait(self.runtime.settings.poll_seconds)
                wakeup.clear()


class WorkerPool:
    """Worker threads inside the API process: the embedded default of ``loadbay serve``."""

    def __init__(self, runtime: Runtime, *, size: int) -> None:
        self.workers = [Worker(runtime) for _ in range(size)]
        self.threads = [
            threading.Thread(target=w.run_forever, name=f"loadbay-worker-{i}", daemon=True)
            for i, w in enumerate(self.workers)
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        for worker in self.workers:
            worker.stop.set()
            worker.runtime.wakeup.set()
        for thread in self.threads:
            thread.join(timeout)
