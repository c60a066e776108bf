"""``make bench``: Loadbay's import through the real HTTP API against the raw database bulk load.

For each database (SQLite always; PostgreSQL when LOADBAY_TEST_DATABASE_URL is set) and each
size in BENCH_ROWS (default 100000), it generates a ``users`` file with pre-hashed passwords,
uploads it to a real ``loadbay serve`` process, waits for ``processed``, then uploads it again
with every row changed. In the same run it loads the same rows straight into an equivalent
table (SQLite: executemany in one transaction; PostgreSQL: COPY) and prints rows/s and the
ratio Loadbay / raw. Password hashing is measured on its own (BENCH_HASH_ROWS, default 1000).
"""

from __future__ import annotations

import csv
import os
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tests.e2e.server import LoadbayServer

from loadbay.config import normalize_database_url

HEADER = ["user_username", "user_name", "user_password", "user_email", "user_organizationId"]


def write_users(path: Path, rows: int, *, generation: int, password: str | None = None) -> None:
    hashed = password or PasswordHasher(time_cost=1, memory_cost=1024).hash("Bench#Pass1")
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            writer.writerow(
                [f"user{i:07d}", f"User {i} v{generation}", hashed, f"user{i}@example.org", "root"]
            )


def client_token(server: LoadbayServer) -> str:
    client = server.create_client()
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


def raw_sqlite(db_path: Path, path: Path, *, update: bool) -> float:
    connection = sqlite3.connect(db_path)
    connection.execute(
        "CREATE TABLE IF NOT EXISTS raw_users (id INTEGER PRIMARY KEY, tenant_id INTEGER, username TEXT, "
        "name TEXT, password_hash TEXT, email TEXT, organization_id TEXT, UNIQUE (tenant_id, username))"
    )
    started = time.perf_counter()
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        rows = [(1, r[0], r[1], r[2], r[3], r[4]) for r in reader]
    sql = "INSERT INTO raw_users (tenant_id, username, name, password_hash, email, organization_id) VALUES (?,?,?,?,?,?)"
    if update:
        sql += (
            " ON CONFLICT (tenant_id, username) DO UPDATE SET name=excluded.name, "
            "password_hash=excluded.password_hash, email=excluded.email, organization_id=excluded.organization_id"
        )
    with connection:
        connection.executemany(sql, rows)
    connection.close()
    return time.perf_counter() - started


def raw_postgres(url: str, path: Path, *, update: bool) -> float:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS raw_users (id BIGSERIAL PRIMARY KEY, tenant_id INTEGER DEFAULT 1, username TEXT, "
            "name TEXT, password_hash TEXT, email TEXT, organization_id TEXT, UNIQUE (tenant_id, username))"
        )
        connection.commit()
        started = time.perf_counter()
        columns = "(username, name, password_hash, email, organization_id)"
        target = "raw_users_stage" if update else "raw_users"
        if update:
            connection.execute(
                "CREATE TEMP TABLE raw_users_stage (username TEXT, name TEXT, password_hash TEXT, "
                "email TEXT, organization_id TEXT) ON COMMIT DROP"
            )
        with path.open("rb") as handle, connection.cursor() as cursor:
            with cursor.copy(f"COPY {target} {columns} FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
            if update:
                cursor.execute(
                    "INSERT INTO raw_users (tenant_id, username, name, password_hash, email, organization_id) "
                    "SELECT 1, username, name, password_hash, email, organization_id FROM raw_users_stage "
                    "ON CONFLICT (tenant_id, username) DO UPDATE SET name=excluded.name, "
                    "password_hash=excluded.password_hash, email=excluded.email, organization_id=excluded.organization_id"
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


def bench_database(kind: str, sizes: list[int], work: Path, pg_base: str | None) -> list[tuple[str, ...]]:
    lines: list[tuple[str, ...]] = []
    for rows in sizes:
        case = work / f"{kind}-{rows}"
        case.mkdir()
        if kind == "sqlite":
            database_url = f"sqlite:///{case / 'loadbay.db'}"
            raw_url = None
        else:
            assert pg_base is not None
            database_url, db_name = fresh_postgres(pg_base)
            raw_url, raw_name = fresh_postgres(pg_base)
        server = LoadbayServer(data_dir=case / "data", database_url=database_url)
        server.start(LOADBAY_MAX_UPLOAD_BYTES=str(4 << 30), LOADBAY_WORKERS="1")
        try:
            token = client_token(server)
            for phase, generation in (("create", 1), ("update", 2)):
                path = case / f"users-{generation}.csv"
                write_users(path, rows, generation=generation)
                elapsed, result = run_loadbay(server, token, path)
                counts = result["counts"]
                expected = "created" if phase == "create" else "updated"
                assert result["status"] == "processed", result
                assert counts[expected] == rows, result  # type: ignore[index]
                if kind == "sqlite":
                    raw = raw_sqlite(case / "raw.db", path, update=phase == "update")
                else:
                    raw = raw_postgres(raw_url, path, update=phase == "update")  # type: ignore[arg-type]
                lines.append(
                    (
                        kind,
                        f"{rows:,}",
                        phase,
                        f"{rows / elapsed:,.0f}",
                        f"{rows / raw:,.0f}",
                        f"{raw / elapsed:.2f}",
                    )
                )
                print("  ".join(lines[-1]), flush=True)
        finally:
            server.stop()
            if kind == "postgresql":
                drop_postgres(pg_base, db_name)  # type: ignore[arg-type]
                drop_postgres(pg_base, raw_name)  # type: ignore[arg-type]
    return lines


def bench_hashing(work: Path, rows: int) -> str:
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
            writer.writerow(HEADER)
            for i in range(rows):
                writer.writerow([f"user{i}", f"User {i}", f"Plain#Pass{i}", f"u{i}@example.org", "root"])
        elapsed, result = run_loadbay(server, token, path)
        assert result["status"] == "processed", result
        return f"argon2id (t=2, m=19 MiB) on {os.cpu_count()} cores: {rows:,} plain passwords in {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s"
    finally:
        server.stop()


def main() -> None:
    sizes = [int(size) for size in os.environ.get("BENCH_ROWS", "100000").split(",")]
    pg_base = os.environ.get("LOADBAY_TEST_DATABASE_URL")
    with tempfile.TemporaryDirectory(prefix="loadbay-bench-") as tmp:
        work = Path(tmp)
        print("database  rows  phase  loadbay_rows/s  raw_rows/s  ratio")
        bench_database("sqlite", sizes, work, pg_base)
        if pg_base:
            bench_database("postgresql", sizes, work, pg_base)
        else:
            print("(PostgreSQL skipped: set LOADBAY_TEST_DATABASE_URL to include it)")
        print(bench_hashing(work, int(os.environ.get("BENCH_HASH_ROWS", "1000"))))


if __name__ == "__main__":
    main()
