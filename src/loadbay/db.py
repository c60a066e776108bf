"""Engine and session factories, and the few places where SQLite and PostgreSQL differ."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

# SQLite's answers when its busy timeout ran out: another connection held the lock throughout.
_SQLITE_LOCKED = ("database is locked", "database table is locked")


# A new SQLite database is made of 16 KiB pages instead of SQLite's 4 KiB: a bulk write moves a
# quarter as many pages through the B-trees, the WAL and its checkpoints. ADBC ingest of 1M users
# rows took 2.0-2.4 s against 2.4-2.9 s on 4 KiB pages (docs/engine.md). A database made before
# keeps its pages (a WAL database cannot change its page size, not even with VACUUM).
SQLITE_PAGE_BYTES = 16384


def create_db_engine(url: str, *, pool_size: int, pool_timeout: float) -> Engine:
    """Create the engine, opening at most ``pool_size`` connections.

    SQLite gets WAL and a busy timeout so API and workers can share it.
    """
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            # A connection to a file is cheap: keep every one open rather than reconnect.
            pool_size=pool_size,
            max_overflow=0,
            pool_timeout=pool_timeout,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # pysqlite's own transaction handling defers BEGIN; take it over so that
            # a transaction that will write starts with BEGIN IMMEDIATE only when asked.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            # Takes effect only when the file is still empty (a new database): see SQLITE_PAGE_BYTES.
            cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_BYTES}")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # A deferred transaction that reads and then writes cannot wait for the write lock
            # in WAL mode (SQLITE_BUSY at once); writers therefore start with BEGIN IMMEDIATE.
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    # A PostgreSQL connection is a server process: keep a few open, open the rest under load only.
    kept = min(pool_size, 10)
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=kept,
        max_overflow=pool_size - kept,
        pool_timeout=pool_timeout,
    )


def writing(engine: Engine) -> Engine:
    """The engine for transactions that will write, on the same pool.

    On SQLite such a transaction takes the database's write lock at its first statement and
    waits for it up to the busy timeout; keep such transactions short. On PostgreSQL it is the
    engine itself in all but name.
    """
    return engine.execution_options(sqlite_begin="IMMEDIATE")


def is_postgresql(engine_or_session: Engine | Session) -> bool:
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else engine_or_session
    return bind.dialect.name == "postgresql"


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on ``engine``: ``writing(engine)`` for transactions that will write."""
    return sessionmaker(engine, expire_on_commit=False)


def switch_to_writing(session: Session, *, write_engine: Engine) -> None:
    """From its next transaction on, ``session`` writes (BEGIN IMMEDIATE on SQLite).

    Only between transactions: one already begun cannot change how it began.
    """
    if session.in_transaction():
        raise RuntimeError("switch_to_writing() on a session whose transaction is open")
    session.bind = write_engine


def is_transient_db_error(error: BaseException) -> bool:
    """Whether the database was busy rather than broken: all connections in use (the pool's
    timeout), or SQLite's write lock held past the busy timeout. Retrying later succeeds."""
    if isinstance(error, exc.TimeoutError):
        return True
    return isinstance(error, exc.OperationalError) and any(
        text in str(error.orig).lower() for text in _SQLITE_LOCKED
    )


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work outside a request: commit on success, roll back on any error."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
