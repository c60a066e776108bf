"""The SQLite writer process: steps and Arrow tables cross its pipes intact, and its checkpointer
copies committed rows into the database file while the writer goes on."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy.sql.elements import quoted_name

from loadbay.importing.bulk import BulkError, Execute, Ingest, Query
from loadbay.importing.sqlite_child import WAL_CAP_BYTES, acquire


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "child.db"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT)")
    return path


def _items(count: int) -> pa.Table:
    # Several megabytes, with nulls: more than one pipe buffer, and a validity bitmap to carry.
    return pa.table(
        {
            "id": pa.array(range(count), pa.int64()),
            "name": [f"item {i:08d} " + "x" * 40 for i in range(count)],
            "note": [None if i % 3 else f"note {i}" for i in range(count)],
        }
    )


def _rows_in_main_file(database: Path, scratch: Path) -> int:
    """Rows in the database file itself, the WAL left out: what a checkpoint has copied there."""
    copy = scratch / "main-only.db"
    shutil.copyfile(database, copy)
    with sqlite3.connect(copy) as connection:
        try:
            return int(connection.execute("SELECT count(*) FROM items").fetchone()[0])
        except sqlite3.DatabaseError:  # copied while the checkpointer wrote a page: try again
            return -1


def test_arrow_tables_cross_the_pipe_both_ways_intact(database: Path) -> None:
    items = _items(100_000)
    with acquire(str(database)) as child:
        child.run([Ingest("items", items, temporary=False)], begin=True, commit=True)
        (back,) = child.run([Query("SELECT id, name, note FROM items ORDER BY id")])
    assert back is not None
    assert back.to_pylist() == items.to_pylist()


def test_an_error_in_the_child_reaches_the_parent_as_an_error(database: Path) -> None:
    with acquire(str(database)) as child, pytest.raises(BulkError):
        child.run([Execute("INSERT INTO no_such_table VALUES (1)")], begin=True, commit=True)


def test_committed_rows_reach_the_database_file_without_another_write(database: Path, tmp_path: Path) -> None:
    # Far below the size at which the writer's own commit would copy the WAL: only the
    # checkpointer moves these rows out of the WAL.
    with acquire(str(database)) as child:
        child.run([Ingest("items", _items(20_000), temporary=False)], begin=True, commit=True)
        # At the lowest priority, on a busy machine it may take a while.
        deadline = time.monotonic() + 30
        while (rows := _rows_in_main_file(database, tmp_path)) != 20_000 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert rows == 20_000


def test_a_request_the_writer_cannot_take_is_an_error_and_the_writer_goes_on(database: Path) -> None:
    # The writer keeps SQLAlchemy out: a step carrying one of its objects (as a table's name
    # once did) is refused, where it used to cost an import of SQLAlchemy at the first slice.
    with acquire(str(database)) as child:
        with pytest.raises(BulkError, match="could not take a request"):
            child.run([Query(quoted_name("SELECT 1 AS one", None))])
        (answer,) = child.run([Query("SELECT 1 AS one")])
    assert answer is not None
    assert answer.to_pylist() == [{"one": 1}]


@pytest.mark.parametrize("page_bytes", [4096, 16384])
def test_the_writers_wal_cap_is_the_same_bytes_whatever_the_page_size(
    tmp_path: Path, page_bytes: int
) -> None:
    # SQLite counts the cap in pages: a database made with larger pages must not let the WAL
    # grow four times as far before the writer's own commit copies it.
    path = tmp_path / f"pages-{page_bytes}.db"
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA page_size={page_bytes}")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE items (id INTEGER PRIMARY KEY)")
    with acquire(str(path)) as child:
        (cap,) = child.run([Query("PRAGMA wal_autocheckpoint")])
    assert cap is not None
    assert cap.to_pylist()[0]["wal_autocheckpoint"] * page_bytes == WAL_CAP_BYTES


@pytest.mark.skipif(
    not Path("/proc/self/fd").is_dir(), reason="needs Linux's /proc to see the writer's files"
)
def test_the_writers_temporary_files_are_beside_the_database(database: Path) -> None:
    # A stage larger than the temporary page cache spills to SQLite's temporary file. It is made
    # in the database's folder, writable wherever the database is, not in /var/tmp.
    with acquire(str(database)) as child:
        child.run([Ingest("stage", _items(400_000)), Query("SELECT count(*) AS n FROM stage")], begin=True)
        descriptors = Path(f"/proc/{child.pid}/fd")
        opened = [os.readlink(fd) for fd in descriptors.iterdir()]
        child.run([], commit=True)
    temporary = [name for name in opened if "etilqs_" in name]
    assert temporary, opened
    assert all(name.startswith(f"{database.parent}/") for name in temporary), temporary
