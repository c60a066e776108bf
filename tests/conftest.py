"""Fixtures: a real database (SQLite always, PostgreSQL when LOADBAY_TEST_DATABASE_URL is set),
real local object storage, the real app, and helpers to act as an API client."""

from __future__ import annotations

import functools
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text, update
from sqlalchemy.engine import make_url

from loadbay.app import create_app
from loadbay.auth.service import create_client
from loadbay.config import Settings, normalize_database_url
from loadbay.db import transaction
from loadbay.importing.run import LeaseLost, run_import
from loadbay.jobs.service import claim_next_job
from loadbay.jobs.worker import Worker
from loadbay.migrate import upgrade
from loadbay.models import Base, ImportJob
from loadbay.runtime import Runtime
from tests.e2e.server import free_port
from tests.scaleout.s3server import S3Server
from tests.webhooks.receiver import Receiver

PG_ENV = "LOADBAY_TEST_DATABASE_URL"
PG_SKIP_REASON = f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated once, dropped at the end."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(PG_SKIP_REASON)
    url = make_url(normalize_database_url(base))
    name = f"loadbay_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    test_url = url.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(test_url)
    upgrade(engine)
    engine.dispose()
    yield test_url
    _engine(test_url).dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """An S3-compatible server on loopback (moto), started once; ``new_bucket()`` per test."""
    server = S3Server.start(tmp_path_factory.mktemp("s3"))
    yield server
    server.stop()


@functools.cache
def _engine(url: str) -> Engine:
    return create_engine(url)


def _truncate_all(url: str) -> None:
    """Every table emptied and every id sequence started again. DELETE, children first, takes
    2-8 ms where one TRUNCATE of all the tables took 130-200 ms (it makes every table anew)."""
    with _engine(url).begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
        sequences = connection.execute(
            text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
        ).scalars()
        for sequence in sequences:
            connection.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once per test process, as PostgreSQL's is: each test starts
    from a copy. Migrating anew took 0.15-0.3 s a test, four tenths of an in-process test's
    time. Migrations from an empty file still run here, in tests/client (a server started on
    no database) and in tests/test_migrate.py."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "loadbay.db"
    runtime = Runtime.create(make_settings(folder / "data", f"sqlite:///{path}"))
    upgrade(runtime.engine)
    runtime.close()
    # The last connection closed has copied its WAL into the file: the file alone is the database.
    assert not path.with_name("loadbay.db-wal").exists()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test that uses the database runs once on SQLite and once on PostgreSQL, each on a
    migrated database of its own (a copy of the template; PostgreSQL's tables emptied)."""
    if request.param == "sqlite":
        path = tmp_path / "loadbay.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    _truncate_all(url)
    return url


def make_settings(data_dir: Path, database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "secret_key": "test-secret-key-" + "x" * 32,
        "public_url": "http://testserver",
        # Cheap argon2 parameters keep the suite fast; the algorithm and code path are the same.
        "password_time_cost": 1,
        "password_memory_kib": 1024,
        "poll_seconds": 0.05,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path / "data", database_url)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    runtime = Runtime.create(settings)
    upgrade(runtime.engine)
    yield runtime
    runtime.close()


@dataclass
class Credentials:
    client_id: str
    client_secret: str
    tenant: str


def new_client(
    runtime: Runtime, *, tenant: str = "district-a", scopes: tuple[str, ...] = ("rostering",)
) -> Credentials:
    with transaction(runtime.write_sessions) as session:
        client, secret = create_client(session, tenant_name=tenant, scopes=list(scopes))
        return Credentials(client.client_id, secret, tenant)


@pytest.fixture
def app_client(settings: Settings) -> Iterator[TestClient]:
    """The real app with no worker threads; tests run jobs with ``run_jobs``."""
    app = create_app(settings, workers=0)
    upgrade(app.state.runtime.engine)
    with TestClient(app) as client:
        yield client


@pytest.fixture
def app_runtime(app_client: TestClient) -> Runtime:
    runtime: Runtime = app_client.app.state.runtime  # type: ignore[attr-defined]
    return runtime


def token_for(client: TestClient, credentials: Credentials, *, scope: str | None = None) -> str:
    data = {
        "grant_type": "client_credentials",
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
    }
    if scope:
        data["scope"] = scope
    response = client.post("/api/v1/oauth2/tokens", data=data)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def run_jobs(runtime: Runtime, *, limit: int = 50) -> int:
    """Run pending imports to completion in this thread, as a worker would; returns how many ran."""
    worker = Worker(runtime, name="test-worker")
    ran = 0
    while ran < limit and worker.run_once():
        ran += 1
    return ran


def counts(**given: int) -> dict[str, int]:
    """An import's ``counts`` as the API gives them: every outcome, zero unless given."""
    outcomes = ("created", "updated", "unchanged", "failed", "deactivated", "removed")
    unknown = set(given) - set(outcomes)
    assert not unknown, f"no such outcome: {unknown}"
    return {outcome: given.get(outcome, 0) for outcome in outcomes}


class CutOffLease:
    """The lease of a worker cut off (killed) after ``checks`` lease checks: one per batch, then
    one per later step (a sync, the ending)."""

    worker_id = "first"

    def __init__(self, checks: int) -> None:
        self.left = checks

    def ensure(self) -> None:
        if self.left == 0:
            raise LeaseLost("cut off")
        self.left -= 1


def run_cut_off(runtime: Runtime, reference: str, *, checks: int) -> None:
    """Claim the import as worker "first" and run it until its lease is cut off after ``checks``."""
    with transaction(runtime.write_sessions) as session:
        claim_next_job(session, worker_id="first", lease_seconds=30, max_attempts=3)
    with suppress(LeaseLost):
        run_import(runtime, job_id=reference, lease=CutOffLease(checks))


def expire_lease(api: ApiUser, reference: str) -> None:
    """The worker's lease runs out, as a worker killed with -9 leaves it."""
    with transaction(api.runtime.write_sessions) as session:
        session.execute(
            update(ImportJob).where(ImportJob.id == reference).values(lease_expires_at=time.time() - 1)
        )


@pytest.fixture
def rostering(app_client: TestClient, app_runtime: Runtime) -> ApiUser:
    return ApiUser.create(app_client, app_runtime)


@dataclass
class ApiUser:
    """A tenant's API client, logged in: uploads, polls and downloads like an integration would."""

    http: TestClient
    runtime: Runtime
    credentials: Credentials
    token: str

    @classmethod
    def create(
        cls,
        http: TestClient,
        runtime: Runtime,
        *,
        tenant: str = "district-a",
        scopes: tuple[str, ...] = ("rostering",),
    ) -> ApiUser:
        credentials = new_client(runtime, tenant=tenant, scopes=scopes)
        return cls(http, runtime, credentials, token_for(http, credentials))

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def upload(self, content: bytes | str, *, filename: str = "users.csv", **data: str) -> dict[str, object]:
        body = content.encode() if isinstance(content, str) else content
        response = self.http.post(
            "/api/v1/upload", headers=self.headers, files={"file": (filename, body, "text/csv")}, data=data
        )
        assert response.status_code == 200, response.text
        result: dict[str, object] = response.json()["result"]
        return result

    def status(self, reference_id: str) -> dict[str, object]:
        response = self.http.get(f"/api/v1/status/{reference_id}", headers=self.headers)
        assert response.status_code == 200, response.text
        result: dict[str, object] = response.json()["result"]
        return result

    def import_file(self, content: bytes | str, **kwargs: str) -> dict[str, object]:
        """Upload, let a worker run it, return the final status."""
        reference_id = str(self.upload(content, **kwargs)["referenceId"])
        run_jobs(self.runtime)
        return self.status(reference_id)

    def result_csv(self, reference_id: str) -> str:
        response = self.http.get(f"/api/v1/download/{reference_id}", headers=self.headers)
        assert response.status_code == 200, response.text
        signed = response.json()["signedUrl"]
        path = signed.split("http://testserver", 1)[1]
        download = self.http.get(path)
        assert download.status_code == 200, download.text
        return download.text


@pytest.fixture
def receiver_factory(tmp_path: Path) -> Iterator[Callable[..., Receiver]]:
    """Start webhook receiver processes (tests/webhooks/receiver.py); stopped after the test."""
    started: list[Receiver] = []

    def start(fail_first: int = 0, *, trickle: bool = False) -> Receiver:
        receiver = Receiver(tmp_path / f"receiver-{len(started)}", free_port(), fail_first, trickle).start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.stop()
