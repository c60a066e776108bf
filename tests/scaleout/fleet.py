"""Loadbay scaled out, for real: one ``loadbay api`` process and ``loadbay worker`` processes
sharing PostgreSQL and an S3 bucket, with an HTTP client that acts as an integration would."""

from __future__ import annotations

import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from loadbay.models import ImportJob, RosterUser, Tenant
from tests.e2e.server import LOADBAY, LoadbayServer


@dataclass
class WorkerProcess:
    env: dict[str, str]
    log_path: Path
    concurrency: int = 1
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [LOADBAY, "worker", "--concurrency", str(self.concurrency)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, sig: int, *, timeout: float = 30) -> int:
        """Send ``sig`` and wait for the process to end; returns its exit code."""
        assert self.process is not None
        self.process.send_signal(sig)
        return self.process.wait(timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.alive():
            try:
                self.signal(signal.SIGTERM, timeout=15)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)


@dataclass
class Fleet:
    """``database_url`` and ``env`` are what the processes see; ``direct_url`` is for the test's own checks."""

    work: Path
    database_url: str
    env: dict[str, str]
    direct_url: str = ""
    api: LoadbayServer = field(init=False)
    workers: list[WorkerProcess] = field(default_factory=list)
    engine: Engine = field(init=False)

    def __post_init__(self) -> None:
        self.api = LoadbayServer(
            data_dir=self.work / "data",
            database_url=self.database_url,
            extra_env=dict(self.env),
            command="api",
        )
        self.engine = create_engine(self.direct_url or self.database_url)

    def start(self, *, workers: int) -> Fleet:
        self.api.start()
        for _ in range(workers):
            self.add_worker()
        return self

    def add_worker(self, **extra_env: str) -> WorkerProcess:
        index = len(self.workers)
        worker = WorkerProcess({**self.api.env, **extra_env}, self.work / f"worker-{index}.log").start()
        self.workers.append(worker)
        return worker

    def worker_with_pid(self, pid: int) -> WorkerProcess:
        return next(worker for worker in self.workers if worker.pid == pid)

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.api.stop()
        self.engine.dispose()

    def client(self, tenant: str = "district-a") -> Client:
        credentials = self.api.create_client(tenant)
        response = httpx.post(
            f"{self.api.url}/api/v1/oauth2/tokens",
            data={
                "grant_type": "client_credentials",
                "client_id": credentials["client_id"],
                "client_secret": credentials["client_secret"],
            },
            timeout=30,
        )
        response.raise_for_status()
        return Client(self.api.url, response.json()["access_token"])

    # -- the database as it really is --------------------------------------------

    def job(self, reference_id: str) -> ImportJob:
        with Session(self.engine) as session:
            job = session.get(ImportJob, reference_id)
        assert job is not None, f"no import row {reference_id}"
        return job

    def import_count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(ImportJob)) or 0)

    def users(self, tenant: str) -> tuple[int, int]:
        """(rows, distinct usernames) stored for ``tenant``."""
        with self.engine.connect() as connection:
            tenant_id = connection.scalar(select(Tenant.id).where(Tenant.name == tenant))
            rows, distinct = connection.execute(
                select(func.count(), func.count(RosterUser.username.distinct())).where(
                    RosterUser.tenant_id == tenant_id
                )
            ).one()
        return int(rows), int(distinct)

    def wait_for(self, reference_id: str, predicate: Any, *, timeout: float = 60) -> ImportJob:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.job(reference_id)
            if predicate(job):
                return job
            time.sleep(0.05)
        raise AssertionError(f"import {reference_id} never got there: {self.job(reference_id).__dict__}")


def through(url: str, port: int) -> str:
    """``url`` with its host and port replaced by a proxy on loopback."""
    return make_url(url).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)


@dataclass
class Client:
    base_url: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def upload(self, path: Path) -> str:
        with path.open("rb") as handle:
            response = httpx.post(
                f"{self.base_url}/api/v1/upload",
                headers=self.headers,
                files={"file": (path.name, handle, "text/csv")},
                timeout=60,
            )
        assert response.status_code == 200, response.text
        reference_id: str = response.json()["result"]["referenceId"]
        return reference_id

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.base_url}{path}", headers=self.headers, timeout=30)

    def status(self, reference_id: str) -> dict[str, Any]:
        response = self.get(f"/api/v1/status/{reference_id}")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()["result"]
        return result

    def wait_finished(self, reference_id: str, *, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = self.status(reference_id)
            if result["status"] != "pending":
                return result
            time.sleep(0.1)
        raise AssertionError(f"import {reference_id} still pending after {timeout} s")

    def result_csv(self, reference_id: str) -> tuple[str, str]:
        """(signed URL, result file fetched through it)."""
        response = self.get(f"/api/v1/download/{reference_id}")
        assert response.status_code == 200, response.text
        signed_url: str = response.json()["signedUrl"]
        fetched = httpx.get(signed_url, timeout=30)
        assert fetched.status_code == 200, fetched.text
        return signed_url, fetched.text


def users_file(path: Path, rows: int, *, prefix: str = "user") -> Path:
    """A ``users`` file with plain passwords: hashing them makes the import take a while."""
    with path.open("w") as handle:
        handle.write("user_username,user_name,user_password,user_organizationId\n")
        for i in range(rows):
            handle.write(f"{prefix}{i:06d},User {i},Str0ng#Pass{i},root\n")
    return path
