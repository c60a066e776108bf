"""The SQLite database a new install makes, and one an older Loadbay made."""

import sqlite3
from pathlib import Path

from sqlalchemy import text

from loadbay.db import SQLITE_PAGE_BYTES, create_db_engine


def _pragma(path: Path, name: str) -> object:
    with sqlite3.connect(path) as connection:
        return connection.execute(f"PRAGMA {name}").fetchone()[0]


def _old_database(path: Path, notes: list[str]) -> None:
    """A database as an earlier Loadbay made it: 4 KiB pages, in WAL mode, holding ``notes``."""
    with sqlite3.connect(path) as old:
        old.execute("PRAGMA page_size=4096")
        old.execute("PRAGMA journal_mode=WAL")
        old.execute("CREATE TABLE notes (body TEXT)")
        old.executemany("INSERT INTO notes VALUES (?)", [(note,) for note in notes])
    old.close()


def test_a_new_database_gets_large_pages_and_a_wal(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    engine = create_db_engine(f"sqlite:///{path}", pool_size=2, pool_timeout=5)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
        connection.execute(text("INSERT INTO notes VALUES ('kept')"))
    engine.dispose()

    assert _pragma(path, "page_size") == SQLITE_PAGE_BYTES > 4096  # SQLite's own default
    assert _pragma(path, "journal_mode") == "wal"


def test_a_database_made_with_small_pages_keeps_them_and_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _old_database(path, ["from before"])

    engine = create_db_engine(f"sqlite:///{path}", pool_size=2, pool_timeout=5)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO notes VALUES ('from now')"))
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT body FROM notes ORDER BY rowid")).scalars().all()
    engine.dispose()

    assert rows == ["from before", "from now"]
    assert _pragma(path, "page_size") == 4096


def test_the_documented_conversion_gives_an_old_database_large_pages(tmp_path: Path) -> None:
    # docs/operations.md: the statements that convert a database an earlier Loadbay made.
    path = tmp_path / "old.db"
    _old_database(path, [f"note {i}" for i in range(1000)])
    converting = sqlite3.connect(path, isolation_level=None)
    converting.executescript(
        "PRAGMA journal_mode=DELETE; PRAGMA page_size=16384; VACUUM; PRAGMA journal_mode=WAL;"
    )
    converting.close()

    engine = create_db_engine(f"sqlite:///{path}", pool_size=2, pool_timeout=5)
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM notes")).scalar_one()
    engine.dispose()

    assert count == 1000
    assert _pragma(path, "page_size") == SQLITE_PAGE_BYTES
    assert _pragma(path, "journal_mode") == "wal"
