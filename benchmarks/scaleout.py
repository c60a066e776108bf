"""``make bench``, scale-out part: concurrent imports through ``loadbay api`` and ``loadbay worker``
processes on PostgreSQL, with one and then two worker processes.

BENCH_SCALEOUT_FILES (default 20) ``users`` files of about BENCH_SCALEOUT_FILE_MB (default 10) MB
each, with pre-hashed passwords, half from each of two tenants, are uploaded at once to one
``loadbay api`` process. The clock runs from the first upload until the last import reads
``processed``. Storage is a local folder that the processes share (they run on one machine).
The same files are then COPYed straight into an equivalent table: the rostering benchmark's
baseline, for the same rows. Needs LOADBAY_TEST_DATABASE_URL; prints a note and exits without it.
"""

from __future__ import annotations

import csv
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from argon2 import PasswordHasher
from tests.e2e.server import LoadbayServer
from tests.scaleout.fleet import WorkerProcess

from benchmarks.run import TEMPLATES, client_token, drop_postgres, fresh_postgres, raw_postgres

TENANTS = ("district-a", "district-b")
USERS = next(template for template in TEMPLATES if template.name == "users")


def write_files(work: Path, count: int, target_bytes: int) -> tuple[list[tuple[str, Path]], int]:
    """``count`` files of about ``target_bytes`` each, alternating between the tenants; (files, rows)."""
    hashed = PasswordHasher(time_cost=1, memory_cost=1024).hash("Bench#Pass1")
    files: list[tuple[str, Path]] = []
    total = 0
    for index in range(count):
        path = work / f"users-{index:02d}.csv"
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(USERS.header)
            row = 0
            while handle.tell() < target_bytes:
                writer.writerow(
                    [f"f{index:02d}u{row:07d}", f"User {row}", hashed, f"u{row}@example.org", "root"]
                )
                row += 1
        files.append((TENANTS[index % len(TENANTS)], path))
        total += row
    return files, total


def run_fleet(work: Path, pg_base: str, files: list[tuple[str, Path]], workers: int) -> float:
    """Seconds from the first upload until every import is processed, with ``workers`` worker processes."""
    case = work / f"workers-{workers}"
    case.mkdir()
    database_url, db_name = fresh_postgres(pg_base)
    env = {
        "LOADBAY_STORAGE_URL": (case / "objects").resolve().as_uri(),
        "LOADBAY_SECRET_KEY": "bench-secret-" + "b" * 40,
        "LOADBAY_MAX_UPLOAD_BYTES": str(32 << 20),
        "LOADBAY_POLL_SECONDS": "0.2",
    }
    api = LoadbayServer(data_dir=case / "data", database_url=database_url, extra_env=env, command="api")
    fleet: list[WorkerProcess] = []
    try:
        api.start()
        tokens = {tenant: client_token(api, tenant) for tenant in TENANTS}
        fleet = [WorkerProcess(api.env, case / f"worker-{i}.log").start() for i in range(workers)]

        def upload(item: tuple[str, Path]) -> tuple[str, str]:
            tenant, path = item
            with path.open("rb") as handle:
                response = httpx.post(
                    f"{api.url}/api/v1/upload",
                    headers={"Authorization": f"Bearer {tokens[tenant]}"},
                    files={"file": (path.name, handle, "text/csv")},
                    timeout=600,
                )
            response.raise_for_status()
            return tenant, response.json()["result"]["referenceId"]

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(files)) as pool:
            pending = list(pool.map(upload, files))
        with httpx.Client(base_url=api.url, timeout=60) as http:
            while pending:
                time.sleep(0.2)
                still = []
                for tenant, reference_id in pending:
                    headers = {"Authorization": f"Bearer {tokens[tenant]}"}
                    result = http.get(f"/api/v1/status/{reference_id}", headers=headers).json()["result"]
                    if result["status"] == "pending":
                        still.append((tenant, reference_id))
                    elif result["status"] != "processed" or result["counts"]["failed"]:
                        raise RuntimeError(f"import {reference_id} ended {result}")
                pending = still
        return time.perf_counter() - started
    finally:
        for worker in fleet:
            worker.stop()
        api.stop()
        drop_postgres(pg_base, db_name)


def copy_baseline(pg_base: str, files: list[tuple[str, Path]]) -> float:
    """Seconds to COPY every file into a plain table, one after the other."""
    raw_url, raw_name = fresh_postgres(pg_base)
    try:
        return sum(raw_postgres(USERS, raw_url, path, update=False) for _tenant, path in files)
    finally:
        drop_postgres(pg_base, raw_name)


def main() -> None:
    pg_base = os.environ.get("LOADBAY_TEST_DATABASE_URL")
    if not pg_base:
        print("scale-out benchmark skipped: set LOADBAY_TEST_DATABASE_URL to a PostgreSQL server")
        return
    count = int(os.environ.get("BENCH_SCALEOUT_FILES", "20"))
    target = int(float(os.environ.get("BENCH_SCALEOUT_FILE_MB", "10")) * 1_000_000)
    with tempfile.TemporaryDirectory(prefix="loadbay-scaleout-") as tmp:
        work = Path(tmp)
        files, rows = write_files(work, count, target)
        size_mb = sum(path.stat().st_size for _tenant, path in files) / 1_000_000
        print(
            f"scale-out: {count} files ({size_mb:,.0f} MB, {rows:,} rows) from {len(TENANTS)} tenants, "
            f"uploaded at once; PostgreSQL; {os.cpu_count()} cores"
        )
        print("setup                      time_to_all_processed  rows/s")
        for workers in (1, 2):
            elapsed = run_fleet(work, pg_base, files, workers)
            label = f"api + {workers} worker process{'es' if workers > 1 else ''}"
            print(f"{label:<26} {elapsed:>18.1f} s  {rows / elapsed:>8,.0f}", flush=True)
        raw = copy_baseline(pg_base, files)
        print(f"{'COPY baseline (same rows)':<26} {raw:>18.1f} s  {rows / raw:>8,.0f}")


if __name__ == "__main__":
    main()
