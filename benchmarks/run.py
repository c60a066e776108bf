"""``make bench``: Loadbay's import through the real HTTP API against the raw bulk load of the same rows.

For each database (SQLite always; PostgreSQL when LOADBAY_TEST_DATABASE_URL is set), each
template (``groups``; ``users`` with pre-hashed passwords) and each size in BENCH_ROWS (default
``1000000,5000000``) it writes a file, uploads it to a real ``loadbay serve`` process (one worker),
waits for ``processed``, then uploads it again with every row changed. Loadbay's time runs from
the first byte of the upload to the status reading ``processed``: upload, pickup, reading,
checks, writes, the result file and polling.

In the same run the same rows go straight into a table of the same shape, the best way each
database bulk-loads: the file parsed by polars, then ADBC ingest (SQLite: one prepared INSERT
bound from Arrow, into a database with the page size Loadbay gives its own; PostgreSQL: binary
COPY) for a create, and ingest into a temporary table plus one ``INSERT … SELECT … ON CONFLICT
DO UPDATE`` for an update. The ratio is Loadbay's rows/s over
raw rows/s. Peak RSS is the most the server process and its SQLite writer process held at once.

BENCH_BAD_ROWS (default 1000000) adds one more import: a groups file with 10% bad rows of mixed
kinds, against the clean file. Password hashing is slow by design and timed on its own
(BENCH_HASH_ROWS, default 10000 plain passwords at the default argon2id cost).

BENCH_BUNDLE_ENROLLMENTS (default 1000000) times a OneRoster 1.1 bulk bundle: orgs, a term,
courses, classes, users (one per ten enrollments) and that many enrollments, zipped, against the
raw load of every file's rows (polars + ADBC ingest into a table per file, keyed by tenant and
sourcedId) in the same run.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import polars as pl
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tests.e2e.server import LoadbayServer

from loadbay.catalog import load_import_types
from loadbay.config import normalize_database_url
from loadbay.db import SQLITE_PAGE_BYTES
from loadbay.importing.registry import get_type


@dataclass(frozen=True)
class Template:
    name: str
    header: list[str]
    row: Callable[[int, int, str], list[str]]
    # The equivalent table: Loadbay's own columns, a unique key, and how the file's columns map to it.
    table_sql: str
    columns: dict[str, str]


def _group_row(i: int, generation: int, _hash: str) -> list[str]:
    return [f"group{i:08d}", f"Group {i} v{generation}", "TRUE", "root"]


def _user_row(i: int, generation: int, password_hash: str) -> list[str]:
    return [f"user{i:08d}", f"User {i} v{generation}", password_hash, f"user{i}@example.org", "root"]


COMMON = "last_import_id TEXT, created_at TIMESTAMP, updated_at TIMESTAMP"
TEMPLATES = [
    Template(
        "groups",
        ["group_name", "group_description", "group_active", "group_organizationId"],
        _group_row,
        "CREATE TABLE raw_groups (id {serial} PRIMARY KEY, tenant_id INTEGER, name TEXT, description TEXT, "
        f"active BOOLEAN, organization_id TEXT, metadata TEXT, {COMMON}, UNIQUE (tenant_id, name))",
        {"group_name": "name", "group_description": "description", "group_organizationId": "organization_id"},
    ),
    Template(
        "users",
        ["user_username", "user_name", "user_password", "user_email", "user_organizationId"],
        _user_row,
        "CREATE TABLE raw_users (id {serial} PRIMARY KEY, tenant_id INTEGER, username TEXT, name TEXT, "
        "password_hash TEXT, email TEXT, language TEXT, active BOOLEAN, roles TEXT, organization_id TEXT, "
        f"external_id TEXT, metadata TEXT, {COMMON}, UNIQUE (tenant_id, username))",
        {
            "user_username": "username",
            "user_name": "name",
            "user_password": "password_hash",
            "user_email": "email",
            "user_organizationId": "organization_id",
        },
    ),
]


def write_file(template: Template, path: Path, rows: int, *, generation: int) -> None:
    password_hash = PasswordHasher(time_cost=1, memory_cost=1024).hash("Bench#Pass1")
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(template.header)
        writer.writerows(template.row(i, generation, password_hash) for i in range(rows))


def write_bad_file(path: Path, rows: int) -> int:
    """A groups file where every tenth row is bad, five kinds in turn; returns the bad rows."""
    bad = 0
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(TEMPLATES[0].header)
        for i in range(rows):
            row = _group_row(i, 1, "")
            if i % 10 == 9:
                bad += 1
                kind = (i // 10) % 5
                if kind == 0:
                    row[3] = "nowhere"  # an organization that does not exist
                elif kind == 1:
                    row[2] = "maybe"  # not a boolean
                elif kind == 2:
                    row[0] = "group00000000"  # the key of line 2 again
                elif kind == 3:
                    row = row[:2]  # a ragged row
                else:
                    # A name one character over the limit: the file stays the clean one's size.
                    row[0] = f"{i:0>256}"
            writer.writerow(row)
    return bad


def client_token(server: LoadbayServer, tenant: str = "district-a") -> str:
    client = server.create_client(tenant)
    response = httpx.post(
        f"{server.url}/api/v1/oauth2/tokens",
        data={
            "grant_type": "client_credentials",
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
        },
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants."""
    pids = [root]
    for pid in pids:
        # Every thread's children: the SQLite writer processes are started by worker threads.
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            pids.extend(int(child) for child in children)
    return pids


class PeakRss:
    """The most resident memory a process and its children held at once, sampled every 50 ms."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            total = 0
            for pid in process_tree(self.pid):
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                line = next((row for row in status.splitlines() if row.startswith("VmRSS:")), None)
                total += int(line.split()[1]) * 1024 if line else 0
            self.peak = max(self.peak, total)


def settle(server: LoadbayServer, *, quiet: float = 0.05, longest: float = 30.0) -> None:
    """Wait until the server and its writer are idle and the disk has what was written, so the
    next timing does not share the machine with the last one's aftermath (a WAL checkpoint, the
    kernel writing back a file). A raw load that ran beside it once read 2x slower."""
    assert server.process is not None
    os.sync()
    ticks = os.sysconf("SC_CLK_TCK")
    deadline = time.monotonic() + longest

    def cpu() -> float:
        total = 0
        for pid in process_tree(server.process.pid):  # type: ignore[union-attr]
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / ticks

    before = cpu()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu()
        if now - before < quiet:
            break
        before = now
    os.sync()


def run_loadbay(server: LoadbayServer, token: str, path: Path) -> tuple[float, dict[str, object], int]:
    headers = {"Authorization": f"Bearer {token}"}
    assert server.process is not None
    with PeakRss(server.process.pid) as rss:
        started = time.perf_counter()
        with path.open("rb") as handle, httpx.Client(base_url=server.url, timeout=3600) as http:
            response = http.post(
                "/api/v1/upload", headers=headers, files={"file": (path.name, handle, "text/csv")}
            )
            response.raise_for_status()
            reference_id = response.json()["result"]["referenceId"]
            while True:
                result = http.get(f"/api/v1/status/{reference_id}", headers=headers).json()["result"]
                if result["status"] != "pending":
                    return time.perf_counter() - started, result, rss.peak
                time.sleep(0.05)


def _frame(template: Template, path: Path) -> pl.DataFrame:
    """The file's rows as the table's columns, parsed the fastest way there is."""
    now = datetime.now(UTC).replace(tzinfo=None)
    frame = pl.read_csv(path, infer_schema=False).rename(template.columns)
    frame = frame.select(
        pl.lit(1, dtype=pl.Int32).alias("tenant_id"),
        *template.columns.values(),
        pl.lit(True).alias("active"),
        pl.lit(str(uuid.uuid4())).alias("last_import_id"),
    )
    return frame.with_columns(pl.lit(now).alias("created_at"), pl.lit(now).alias("updated_at"))


def _upsert_sql(template: Template, table: str, stage: str) -> str:
    names = ["tenant_id", *template.columns.values(), "active", "last_import_id", "created_at", "updated_at"]
    key = next(iter(template.columns.values()))
    sets = ", ".join(f"{c} = excluded.{c}" for c in names[2:] if c != "created_at")
    return (
        f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(names)} FROM {stage} WHERE true "
        f"ON CONFLICT (tenant_id, {key}) DO UPDATE SET {sets}"
    )


def raw_load(template: Template, dialect: str, url: str, path: Path, *, update: bool) -> float:
    """Seconds to bulk-load the file's rows into an equivalent table (the baseline)."""
    table = f"raw_{template.name}"
    if dialect == "sqlite":
        import adbc_driver_sqlite.dbapi as driver

        connection = driver.connect(url)
        # The page size Loadbay gives a new database: the same rows on the same pages.
        connection.execute(f"PRAGMA page_size={SQLITE_PAGE_BYTES}")
        ddl = template.table_sql.format(serial="INTEGER")
    else:
        import adbc_driver_postgresql.dbapi as driver  # type: ignore[no-redef]

        connection = driver.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        ddl = template.table_sql.format(serial="BIGSERIAL")
    with connection.cursor() as cursor:
        cursor.execute(ddl.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS"))
        connection.commit()
        started = time.perf_counter()
        frame = _frame(template, path)
        if dialect == "sqlite":
            frame = frame.with_columns(
                pl.col("created_at", "updated_at").dt.strftime("%Y-%m-%d %H:%M:%S%.6f")
            )
        if update:
            cursor.adbc_ingest(f"{table}_stage", frame.to_arrow(), mode="replace", temporary=True)
            stage = f"temp.{table}_stage" if dialect == "sqlite" else f"{table}_stage"
            cursor.execute(_upsert_sql(template, table, stage))
        else:
            cursor.adbc_ingest(table, frame.to_arrow(), mode="append")
        connection.commit()
        elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def raw_postgres(template: Template, url: str, path: Path, *, update: bool) -> float:
    """The PostgreSQL baseline (the scale-out benchmark's too)."""
    return raw_load(template, "postgresql", url, path, update=update)


def fresh_postgres(base: str) -> tuple[str, str]:
    url = make_url(normalize_database_url(base))
    name = f"loadbay_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False), name


def drop_postgres(base: str, name: str) -> None:
    admin = create_engine(make_url(normalize_database_url(base)), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


ROW = "{:<10}  {:<6}  {:>9}  {:<6}  {:>14}  {:>10}  {:>5}  {:>8}  {:>8}"


def _print(
    kind: str, template: str, rows: int, phase: str, elapsed: float, raw: float | None, rss: int
) -> None:
    print(
        ROW.format(
            kind,
            template,
            f"{rows:,}",
            phase,
            f"{rows / elapsed:,.0f}",
            f"{rows / raw:,.0f}" if raw else "-",
            f"{raw / elapsed:.2f}" if raw else "-",
            f"{elapsed:.1f}s",
            f"{rss / 2**20:,.0f}MB",
        ),
        flush=True,
    )


@contextlib.contextmanager
def _serving(kind: str, case: Path, pg_base: str | None) -> Iterator[tuple[LoadbayServer, str]]:
    """A one-worker ``loadbay serve`` on a fresh database, and the URL of an empty one for the raw
    load; both databases are dropped (PostgreSQL) when the server has stopped."""
    dropped: list[str] = []
    if kind == "sqlite":
        database_url, raw_url = f"sqlite:///{case / 'loadbay.db'}", str(case / "raw.db")
    else:
        assert pg_base is not None
        database_url, loadbay_name = fresh_postgres(pg_base)
        raw_url, raw_name = fresh_postgres(pg_base)
        dropped = [loadbay_name, raw_name]
    server = LoadbayServer(data_dir=case / "data", database_url=database_url)
    try:
        server.start(LOADBAY_MAX_UPLOAD_BYTES=str(4 << 30), LOADBAY_WORKERS="1")
        yield server, raw_url
    finally:
        server.stop()
        for name in dropped:
            drop_postgres(pg_base, name)  # type: ignore[arg-type]


def bench_database(kind: str, sizes: list[int], work: Path, pg_base: str | None, bad_rows: int) -> None:
    for rows in sizes:
        for template in TEMPLATES:
            case = work / f"{kind}-{template.name}-{rows}"
            case.mkdir()
            with _serving(kind, case, pg_base) as (server, raw_url):
                token = client_token(server)
                for phase, generation in (("create", 1), ("update", 2)):
                    path = case / f"{template.name}-{generation}.csv"
                    write_file(template, path, rows, generation=generation)
                    elapsed, result, rss = run_loadbay(server, token, path)
                    counts = result["counts"]
                    assert result["status"] == "processed", result
                    assert counts["created" if phase == "create" else "updated"] == rows, result  # type: ignore[index]
                    settle(server)
                    raw = raw_load(template, kind, raw_url, path, update=phase == "update")
                    settle(server)
                    _print(kind, template.name, rows, phase, elapsed, raw, rss)
                    path.unlink()
    if bad_rows:
        bench_bad_rows(kind, work, pg_base, bad_rows)


def bench_bad_rows(kind: str, work: Path, pg_base: str | None, rows: int) -> None:
    """The same size of groups file clean, then with 10% bad rows, each into an empty tenant."""
    case = work / f"{kind}-bad"
    case.mkdir()
    with _serving(kind, case, pg_base) as (server, _raw_url):
        clean = case / "clean.csv"
        write_file(TEMPLATES[0], clean, rows, generation=1)
        clean_time, result, rss = run_loadbay(server, client_token(server, "district-clean"), clean)
        assert result["status"] == "processed", result
        _print(kind, "groups", rows, "clean", clean_time, None, rss)
        bad = case / "bad.csv"
        bad_count = write_bad_file(bad, rows)
        bad_time, result, rss = run_loadbay(server, client_token(server, "district-bad"), bad)
        assert result["status"] == "processed", result
        assert result["counts"]["failed"] == bad_count, result  # type: ignore[index]
        assert result["messageCount"] == bad_count, result
        _print(kind, "groups", rows, "10%bad", bad_time, None, rss)
        size = bad.stat().st_size / clean.stat().st_size
        print(
            f"{'':<10}  10% bad rows take {bad_time / clean_time:.2f}x the clean file's time"
            f" (the file is {size:.2f}x its size)",
            flush=True,
        )


def bench_small(kind: str, work: Path, pg_base: str | None) -> None:
    """A one-row import: how soon after its upload it ends (the median of 10)."""
    case = work / f"small-{kind}"
    case.mkdir()
    with _serving(kind, case, pg_base) as (server, _raw_url):
        token = client_token(server)
        path = case / "one.csv"
        write_file(TEMPLATES[0], path, 1, generation=1)
        times = sorted(run_loadbay(server, token, path)[0] for _ in range(10))
        print(
            f"one-row import on {kind}, upload to processed: median {times[5] * 1000:.0f} ms, "
            f"worst {times[-1] * 1000:.0f} ms"
        )


def bench_hashing(work: Path, rows: int) -> None:
    case = work / "hashing"
    case.mkdir()
    server = LoadbayServer(data_dir=case / "data", database_url=f"sqlite:///{case / 'loadbay.db'}")
    # The default argon2id cost, not the cheap one the tests use.
    server.start(LOADBAY_PASSWORD_TIME_COST="2", LOADBAY_PASSWORD_MEMORY_KIB="19456", LOADBAY_WORKERS="1")
    try:
        token = client_token(server)
        path = case / "users.csv"
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                ["user_username", "user_name", "user_password", "user_email", "user_organizationId"]
            )
            for i in range(rows):
                writer.writerow([f"user{i}", f"User {i}", f"Plain#Pass{i}", f"u{i}@example.org", "root"])
        elapsed, result, _rss = run_loadbay(server, token, path)
        assert result["status"] == "processed", result
        print(
            f"password hashing, argon2id (t=2, m=19 MiB) on {os.cpu_count()} cores: "
            f"{rows:,} plain passwords in {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s"
        )
    finally:
        server.stop()


BUNDLE_ENTITIES = ("orgs", "academicSessions", "courses", "classes", "users", "enrollments")


def bundle_header(entity: str) -> list[str]:
    """The OneRoster 1.1 columns of ``entity``'s file, as Loadbay declares them."""
    load_import_types()
    import_type = get_type(f"oneroster.{entity}", bundle="oneroster")
    assert import_type is not None
    return import_type.template_header()


def write_bundle(folder: Path, enrollments: int) -> tuple[Path, dict[str, Path]]:
    """A OneRoster bulk bundle with ``enrollments`` enrollments (ten per user, 50 per class)."""
    users, classes, schools = max(1, enrollments // 10), max(1, enrollments // 50), 10
    rows = {
        "orgs": [["d1", "", "", "District", "district", "", ""]]
        + [[f"s{i}", "", "", f"School {i}", "school", "", "d1"] for i in range(schools)],
        "academicSessions": [["t1", "", "", "Fall", "term", "2026-09-01", "2026-12-20", "", "2027"]],
        "courses": [[f"c{i}", "", "", "t1", f"Course {i}", "", "", f"s{i}", "", ""] for i in range(schools)],
        "classes": (
            [f"k{i}", "", "", f"Class {i}", "", f"c{i % schools}", "", "scheduled", "", f"s{i % schools}", "t1", "", "", ""]
            for i in range(classes)
        ),
        "users": (
            [f"u{i}", "", "", "true", f"s{i % schools}", "student", f"user{i}", "", f"Given{i}", f"Family{i}"]
            + [""] * 8
            for i in range(users)
        ),
        "enrollments": (
            [f"e{i}", "", "", f"k{(i // 10 + i % 10 * 7919) % classes}", f"s{i // 10 % schools}", f"u{i // 10}", "student", "", "", ""]
            for i in range(enrollments)
        ),
    }  # fmt: skip
    paths: dict[str, Path] = {}
    for entity, records in rows.items():
        paths[entity] = folder / f"{entity}.csv"
        with paths[entity].open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(bundle_header(entity))
            writer.writerows(records)
    manifest = io.StringIO()
    manifest.write("propertyName,value\r\nmanifest.version,1.0\r\noneroster.version,1.1\r\n")
    for entity in (*BUNDLE_ENTITIES, "demographics"):
        manifest.write(f"file.{entity},{'bulk' if entity in paths else 'absent'}\r\n")
    bundle = folder / "bundle.zip"
    with zipfile.ZipFile(bundle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.csv", manifest.getvalue())
        for entity, path in paths.items():
            archive.write(path, f"{entity}.csv")
    return bundle, paths


def raw_bundle(dialect: str, url: str, paths: dict[str, Path]) -> float:
    """Seconds to bulk-load every file's rows into a table per file (text columns, the tenant, a
    unique key on tenant and sourcedId)."""
    if dialect == "sqlite":
        import adbc_driver_sqlite.dbapi as driver

        connection = driver.connect(url)
    else:
        import adbc_driver_postgresql.dbapi as driver  # type: ignore[no-redef]

        connection = driver.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    with connection.cursor() as cursor:
        for entity in paths:
            # Same-shaped: every file's rows keyed by (tenant, sourcedId), as Loadbay keys them.
            columns = ", ".join(f'"{c}" TEXT' for c in bundle_header(entity))
            cursor.execute(
                f"CREATE TABLE raw_{entity.lower()} (tenant_id INTEGER, {columns}, "
                '"last_import_id" TEXT, UNIQUE (tenant_id, "sourcedId"))'
            )
        connection.commit()
        started = time.perf_counter()
        for entity, path in paths.items():
            frame = pl.read_csv(path, infer_schema=False).with_columns(
                pl.lit(1, dtype=pl.Int32).alias("tenant_id"),
                pl.lit(str(uuid.uuid4())).alias("last_import_id"),
            )
            cursor.adbc_ingest(f"raw_{entity.lower()}", frame.to_arrow(), mode="append")
        connection.commit()
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def bench_bundle(kind: str, work: Path, pg_base: str | None, enrollments: int) -> None:
    case = work / f"{kind}-bundle"
    case.mkdir()
    with _serving(kind, case, pg_base) as (server, raw_url):
        bundle, paths = write_bundle(case, enrollments)
        total = sum(sum(1 for _ in path.open()) - 1 for path in paths.values())
        elapsed, result, rss = run_loadbay(server, client_token(server), bundle)
        assert result["status"] == "processed", result
        assert result["counts"]["created"] == total, result  # type: ignore[index]
        settle(server)
        raw = raw_bundle(kind, raw_url, paths)
        elapsed_per_row = elapsed / total
        _print(kind, "bundle", total, "create", elapsed, raw, rss)
        print(
            f"{'':<10}  OneRoster bundle: {enrollments:,} enrollments, {total - enrollments:,} other rows; "
            f"{elapsed_per_row * 1e6:.1f} µs a row",
            flush=True,
        )


def main() -> None:
    sizes = [int(size) for size in os.environ.get("BENCH_ROWS", "1000000,5000000").split(",")]
    bad_rows = int(os.environ.get("BENCH_BAD_ROWS", "1000000"))
    pg_base = os.environ.get("LOADBAY_TEST_DATABASE_URL")
    databases = [db for db in os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",") if db]
    with tempfile.TemporaryDirectory(prefix="loadbay-bench-") as tmp:
        work = Path(tmp)
        print(
            ROW.format(
                "database",
                "file",
                "rows",
                "phase",
                "loadbay_rows/s",
                "raw_rows/s",
                "ratio",
                "loadbay",
                "peak_rss",
            )
        )
        enrollments = int(os.environ.get("BENCH_BUNDLE_ENROLLMENTS", "1000000"))
        if "sqlite" in databases:
            bench_database("sqlite", sizes, work, pg_base, bad_rows)
            if enrollments:
                bench_bundle("sqlite", work, pg_base, enrollments)
        if "postgresql" in databases:
            if pg_base:
                bench_database("postgresql", sizes, work, pg_base, bad_rows)
                if enrollments:
                    bench_bundle("postgresql", work, pg_base, enrollments)
            else:
                print("(PostgreSQL skipped: set LOADBAY_TEST_DATABASE_URL to include it)")
        for kind in databases:
            if kind == "sqlite" or pg_base:
                bench_small(kind, work, pg_base)
        bench_hashing(work, int(os.environ.get("BENCH_HASH_ROWS", "10000")))


if __name__ == "__main__":
    main()
