"""``make bench``: Loadbay's import through the real HTTP API against the raw database bulk load.

For each database (SQLite always; PostgreSQL when LOADBAY_TEST_DATABASE_URL is set), each
template (``groups``; ``users`` with pre-hashed passwords) and each size in BENCH_ROWS
(default ``100000,1000000``) it generates a file, uploads it to a real ``loadbay serve``
process, waits for ``processed``, then uploads it again with every row changed. In the same
run it loads the same rows straight into a table of the same shape (SQLite: executemany in one
transaction; PostgreSQL: COPY, and for updates COPY into a temporary table + one INSERT ... ON
CONFLICT) and prints rows/s for each and the ratio Loadbay / raw. Loadbay's time runs from the
first byte of the upload to the status reading ``processed``, so it includes the upload, job
pickup, validation, the result file and polling.

Password hashing is deliberately slow and measured on its own (BENCH_HASH_ROWS, default 10000
plain passwords at the default argon2id cost).
"""

from __future__ import annotations

import csv
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tests.e2e.server import LoadbayServer

from loadbay.config import normalize_database_url


@dataclass(frozen=True)
class Template:
    name: str
    header: list[str]
    row: Callable[[int, int, str], list[str]]
    # The equivalent table: Loadbay's own columns, a unique key, and how a CSV row maps to it.
    table_sql: str
    columns: list[str]
    to_table: Callable[[list[str]], list[object]]


def _group_row(i: int, generation: int, _hash: str) -> list[str]:
    return [f"group{i:07d}", f"Group {i} v{generation}", "TRUE", "root"]


def _user_row(i: int, generation: int, password_hash: str) -> list[str]:
    return [f"user{i:07d}", f"User {i} v{generation}", password_hash, f"user{i}@example.org", "root"]


COMMON = "last_import_id TEXT, created_at TIMESTAMP, updated_at TIMESTAMP"
TEMPLATES = [
    Template(
        "groups",
        ["group_name", "group_description", "group_active", "group_organizationId"],
        _group_row,
        "CREATE TABLE raw_groups (id {serial} PRIMARY KEY, tenant_id INTEGER, name TEXT, description TEXT, "
        f"active BOOLEAN, organization_id TEXT, metadata TEXT, {COMMON}, UNIQUE (tenant_id, name))",
        [
            "tenant_id",
            "name",
            "description",
            "active",
            "organization_id",
            "last_import_id",
            "created_at",
            "updated_at",
        ],
        lambda r: [1, r[0], r[1], True, r[3]],
    ),
    Template(
        "users",
        ["user_username", "user_name", "user_password", "user_email", "user_organizationId"],
        _user_row,
        "CREATE TABLE raw_users (id {serial} PRIMARY KEY, tenant_id INTEGER, username TEXT, name TEXT, "
        "password_hash TEXT, email TEXT, language TEXT, active BOOLEAN, roles TEXT, organization_id TEXT, "
        f"external_id TEXT, metadata TEXT, {COMMON}, UNIQUE (tenant_id, username))",
        [
            "tenant_id",
            "username",
            "name",
            "password_hash",
            "email",
            "active",
            "organization_id",
            "last_import_id",
            "created_at",
            "updated_at",
        ],
        lambda r: [1, r[0], r[1], r[2], r[3], True, r[4]],
    ),
]


def write_file(template: Template, path: Path, rows: int, *, generation: int) -> None:
    password_hash = PasswordHasher(time_cost=1, memory_cost=1024).hash("Bench#Pass1")
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(template.header)
        for i in range(rows):
            writer.writerow(template.row(i, generation, password_hash))


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


def run_loadbay(server: LoadbayServer, token: str, path: Path) -> tuple[float, dict[str, object]]:
    headers = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    with path.open("rb") as handle, httpx.Client(base_url=server.url, timeout=600) as http:
        response = http.post(
            "/api/v1/upload", headers=headers, files={"file": (path.name, handle, "text/csv")}
        )
        response.raise_for_status()
        reference_id = response.json()["result"]["referenceId"]
        while True:
            result = http.get(f"/api/v1/status/{reference_id}", headers=headers).json()["result"]
            if result["status"] != "pending":
                return time.perf_counter() - started, result
            time.sleep(0.05)


def _table_rows(template: Template, path: Path, import_id: str) -> list[list[object]]:
    now = time.strftime("%Y-%m-%d %H:%M:%S")
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        return [[*template.to_table(r), import_id, now, now] for r in reader]


def raw_sqlite(template: Template, db_path: Path, path: Path, *, update: bool) -> float:
    connection = sqlite3.connect(db_path)
    table = f"raw_{template.name}"
    connection.execute(
        template.table_sql.format(serial="INTEGER").replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS")
    )
    started = time.perf_counter()
    rows = _table_rows(template, path, str(uuid.uuid4()))
    names = template.columns
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    if update:
        key = names[1]
        sets = ", ".join(f"{c} = excluded.{c}" for c in names[2:] if c != "created_at")
        sql += f" ON CONFLICT (tenant_id, {key}) DO UPDATE SET {sets}"
    with connection:
        connection.executemany(sql, rows)
    connection.close()
    return time.perf_counter() - started


def raw_postgres(template: Template, url: str, path: Path, *, update: bool) -> float:
    import psycopg

    table = f"raw_{template.name}"
    names = template.columns
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        connection.execute(
            template.table_sql.format(serial="BIGSERIAL").replace(
                "CREATE TABLE", "CREATE TABLE IF NOT EXISTS"
            )
        )
        connection.commit()
        started = time.perf_counter()
        rows = _table_rows(template, path, str(uuid.uuid4()))
        target = f"{table}_stage" if update else table
        with connection.cursor() as cursor:
            if update:
                cursor.execute(
                    f"CREATE TEMP TABLE {target} ON COMMIT DROP AS SELECT {', '.join(names)} FROM {table} WITH NO DATA"
                )
            with cursor.copy(f"COPY {target} ({', '.join(names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            if update:
                key = names[1]
                sets = ", ".join(f"{c} = excluded.{c}" for c in names[2:] if c != "created_at")
                cursor.execute(
                    f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(names)} FROM {target} "
                    f"ON CONFLICT (tenant_id, {key}) DO UPDATE SET {sets}"
                )
        connection.commit()
    return time.perf_counter() - started


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


def bench_database(kind: str, sizes: list[int], work: Path, pg_base: str | None) -> None:
    for rows in sizes:
        for template in TEMPLATES:
            case = work / f"{kind}-{template.name}-{rows}"
            case.mkdir()
            dropped: list[str] = []
            if kind == "sqlite":
                database_url, raw_url = f"sqlite:///{case / 'loadbay.db'}", str(case / "raw.db")
            else:
                assert pg_base is not None
                database_url, loadbay_name = fresh_postgres(pg_base)
                raw_url, raw_name = fresh_postgres(pg_base)
                dropped = [loadbay_name, raw_name]
            server = LoadbayServer(data_dir=case / "data", database_url=database_url)
            server.start(LOADBAY_MAX_UPLOAD_BYTES=str(4 << 30), LOADBAY_WORKERS="1")
            try:
                token = client_token(server)
                for phase, generation in (("create", 1), ("update", 2)):
                    path = case / f"{template.name}-{generation}.csv"
                    write_file(template, path, rows, generation=generation)
                    elapsed, result = run_loadbay(server, token, path)
                    counts = result["counts"]
                    assert result["status"] == "processed", result
                    assert counts["created" if phase == "create" else "updated"] == rows, result  # type: ignore[index]
                    update = phase == "update"
                    if kind == "sqlite":
                        raw = raw_sqlite(template, Path(raw_url), path, update=update)
                    else:
                        raw = raw_postgres(template, raw_url, path, update=update)
                    print(
                        f"{kind:<10}  {template.name:<6}  {rows:>9,}  {phase:<6}  {rows / elapsed:>12,.0f}  "
                        f"{rows / raw:>10,.0f}  {raw / elapsed:>5.2f}  {elapsed:>7.1f}s",
                        flush=True,
                    )
                    path.unlink()
            finally:
                server.stop()
                for name in dropped:
                    drop_postgres(pg_base, name)  # type: ignore[arg-type]


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
        elapsed, result = run_loadbay(server, token, path)
        assert result["status"] == "processed", result
        print(
            f"password hashing, argon2id (t=2, m=19 MiB) on {os.cpu_count()} cores: "
            f"{rows:,} plain passwords in {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s"
        )
    finally:
        server.stop()


def main() -> None:
    sizes = [int(size) for size in os.environ.get("BENCH_ROWS", "100000,1000000").split(",")]
    pg_base = os.environ.get("LOADBAY_TEST_DATABASE_URL")
    with tempfile.TemporaryDirectory(prefix="loadbay-bench-") as tmp:
        work = Path(tmp)
        print("database    file         rows  phase   loadbay_rows/s  raw_rows/s  ratio  loadbay")
        bench_database("sqlite", sizes, work, pg_base)
        if pg_base:
            bench_database("postgresql", sizes, work, pg_base)
        else:
            print("(PostgreSQL skipped: set LOADBAY_TEST_DATABASE_URL to include it)")
        bench_hashing(work, int(os.environ.get("BENCH_HASH_ROWS", "10000")))


if __name__ == "__main__":
    main()
