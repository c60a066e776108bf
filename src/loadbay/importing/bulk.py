"""The engine's database I/O in Arrow: batches go in by bulk ingest, results come back as tables.

Everything an import reads or writes on its bulk path goes through a :class:`BulkSession`
as a list of steps — ingest a frame into a table, execute a statement, run a query — on an
ADBC connection, inside one transaction when asked, so a checkpoint's rows, messages and
progress commit together. PostgreSQL runs the steps in this process (ADBC's driver writes
with binary COPY). SQLite runs them in a child process (:mod:`sqlite_child`): ADBC's SQLite
driver carries its own copy of SQLite, and two copies of SQLite in one process do not see each
other's locks, which can corrupt the database; across processes the locks hold.
SQLAlchemy keeps the schema, the migrations and everything off the bulk path.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

import pyarrow as pa

if TYPE_CHECKING:
    from loadbay.runtime import Runtime

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
# A query's result arrives as one Arrow batch, so ADBC's SQLite driver infers each column's type
# from every row, not from the first 1,024 (a column null at first and text later would fail).
_SQLITE_QUERY_OPTIONS = {"adbc.sqlite.query.batch_rows": str(1 << 30)}


class BulkError(Exception):
    """The database refused or failed a step; the import is retried."""


class Conflict(BulkError):
    """A constraint refused the write (another import wrote the same key meanwhile)."""


class Busy(BulkError):
    """Another connection held the database's write lock past the busy timeout: load, not the
    file; the worker retries without counting an attempt."""


class Refused(BulkError):
    """A step that must touch an exact number of rows did not: the transaction was rolled back."""


@dataclass(frozen=True)
class Ingest:
    """Load ``data`` into ``table``: a temporary table made anew, or appended to a real one.

    ``constants`` (one row) are columns every row shares (the tenant, the import, the batch's
    time): they are repeated where the step runs, so they do not travel row by row to the
    SQLite writer process.
    """

    table: str
    data: pa.Table
    temporary: bool = True
    constants: pa.Table | None = None

    def rows(self) -> pa.Table:
        data = self.data
        if self.constants is not None:
            for name, column in zip(self.constants.column_names, self.constants.columns, strict=True):
                data = data.append_column(pa.field(name, column.type), pa.repeat(column[0], data.num_rows))
        return data


@dataclass(frozen=True)
class Execute:
    """A statement that returns nothing; with ``expect``, it must change exactly that many rows
    or the whole transaction is undone."""

    sql: str
    params: Sequence[Any] = ()
    expect: int | None = None


@dataclass(frozen=True)
class Query:
    """A statement that returns rows (a SELECT, or a write with RETURNING); with ``expect``, it
    must return exactly that many or the whole transaction is undone."""

    sql: str
    params: Sequence[Any] = ()
    expect: int | None = None


@dataclass(frozen=True)
class Attempt:
    """A write that a unique key may refuse (it meets a stored row): run under a savepoint, so a
    refusal undoes it alone and the transaction goes on. Its result is one row, ``ok``: whether
    it was applied. Any other error is raised as usual."""

    write: Ingest | Execute


Step = Ingest | Execute | Query | Attempt
# A Query's rows; None for the other steps.
Result: TypeAlias = "pa.Table | None"


@dataclass
class Executor:
    """Runs steps on one ADBC connection (autocommit; transactions are begun explicitly)."""

    connection: Any
    dialect: str
    _cursor: Any = field(init=False, default=None)
    _open: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self._cursor = self.connection.cursor()

    def run(self, steps: Sequence[Step], *, begin: bool = False, commit: bool = False) -> list[Result]:
        """Run ``steps``: after opening a transaction when ``begin``, then committing it when
        ``commit``. On any error an open transaction is rolled back before the error is raised."""
        cursor = self._cursor
        try:
            if begin:
                # SQLite: take the write lock at once rather than fail to upgrade a read lock later.
                cursor.execute("BEGIN IMMEDIATE" if self.dialect == SQLITE else "BEGIN")
                self._open = True
            results = [self._step(cursor, step) for step in steps]
            if commit and self._open:
                cursor.execute("COMMIT")
                self._open = False
        except BaseException:
            self.rollback()
            raise
        return results

    def rollback(self) -> None:
        if self._open:
            self._open = False
            with contextlib.suppress(Exception):
                self._cursor.execute("ROLLBACK")

    def _step(self, cursor: Any, step: Step) -> Result:
        if isinstance(step, Ingest):
            if step.temporary:
                cursor.adbc_ingest(step.table, step.rows(), mode="replace", temporary=True)
            else:
                cursor.adbc_ingest(step.table, step.rows(), mode="append")
            return None
        if isinstance(step, Attempt):
            return self._attempt(cursor, step)
        if self.dialect == SQLITE:
            cursor.adbc_statement.set_options(**_SQLITE_QUERY_OPTIONS)
        cursor.execute(step.sql, tuple(step.params) if step.params else None)
        if isinstance(step, Execute):
            if step.expect is not None and (changed := self._changed(cursor)) != step.expect:
                raise Refused(f"expected {step.expect} row(s) changed, the statement changed {changed}")
            return None
        table: pa.Table = cursor.fetch_arrow_table()
        if step.expect is not None and table.num_rows != step.expect:
            raise Refused(f"expected {step.expect} row(s), the statement returned {table.num_rows}")
        return table

    def _attempt(self, cursor: Any, step: Attempt) -> Result:
        cursor.execute("SAVEPOINT lb_attempt")
        try:
            self._step(cursor, step.write)
        except Exception as exc:
            if not unique_violation(exc):
                raise
            cursor.execute("ROLLBACK TO SAVEPOINT lb_attempt")
            return pa.table({"ok": [False]})
        cursor.execute("RELEASE SAVEPOINT lb_attempt")
        return pa.table({"ok": [True]})

    def _changed(self, cursor: Any) -> int:
        """Rows the last statement inserted or updated (ADBC's SQLite driver reports no rowcount)."""
        if self.dialect == SQLITE:
            cursor.execute("SELECT changes()")
            return int(cursor.fetchone()[0])
        return int(cursor.rowcount)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._cursor.close()
        with contextlib.suppress(Exception):
            self.connection.close()


def unique_violation(exc: BaseException) -> bool:
    """Whether a driver's error is a unique key refusing a row (and nothing else: a NOT NULL or
    a type error is a real failure). ADBC's SQLite driver reports it as an internal error."""
    import adbc_driver_manager

    if isinstance(exc, adbc_driver_manager.IntegrityError) and getattr(exc, "sqlstate", None) == "23505":
        return True
    return isinstance(exc, adbc_driver_manager.Error) and "UNIQUE constraint failed" in str(exc)


def translate(exc: BaseException) -> BulkError:
    """A driver's error as the engine's: conflicts apart, every other kind retried."""
    if isinstance(exc, BulkError):
        return exc
    import adbc_driver_manager

    if isinstance(exc, adbc_driver_manager.IntegrityError):
        return Conflict(str(exc))
    if "database is locked" in str(exc).lower():
        return Busy(f"{type(exc).__name__}: {exc}")
    return BulkError(f"{type(exc).__name__}: {exc}")


class BulkSession(Protocol):
    dialect: str

    def run(self, steps: Sequence[Step], *, begin: bool = False, commit: bool = False) -> list[Result]:
        """Run ``steps`` in order (see Executor.run). Raises BulkError."""

    def rollback(self) -> None:
        """Undo the open transaction, if there is one."""


class LocalSession:
    """Steps run in this process (PostgreSQL)."""

    def __init__(self, executor: Executor) -> None:
        self._executor = executor
        self.dialect = executor.dialect
        # One call at a time on the connection: an import's planning stage looks rows up while
        # its writing stage writes (importing/run.py).
        self._lock = threading.Lock()

    def run(self, steps: Sequence[Step], *, begin: bool = False, commit: bool = False) -> list[Result]:
        try:
            with self._lock:
                return self._executor.run(steps, begin=begin, commit=commit)
        except Exception as exc:
            raise translate(exc) from exc

    def rollback(self) -> None:
        with self._lock:
            self._executor.rollback()


def connect_postgresql(url: str) -> Executor:
    import adbc_driver_postgresql.dbapi

    return Executor(adbc_driver_postgresql.dbapi.connect(url, autocommit=True), POSTGRESQL)


# Idle bulk sessions kept for the next import (PostgreSQL connections per runtime, SQLite writer
# processes per database file): one per worker thread that imports at once is enough.
MAX_IDLE_SESSIONS = 4


class PostgresPool:
    """The runtime's idle ADBC connections, reused across imports. Opening one takes 65-70 ms
    (the driver reads the type catalog first), half the time of a three-row import on
    PostgreSQL (docs/engine.md). A connection is checked with one round trip before it is
    reused: after the database restarted, an import opens a new one instead of failing on a
    dead one."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._idle: list[Executor] = []
        self._lock = threading.Lock()
        self._closed = False

    def acquire(self) -> Executor:
        while True:
            with self._lock:
                executor = self._idle.pop() if self._idle else None
            if executor is None:
                return connect_postgresql(self.url)
            try:
                # The run before left no transaction open and its staged batches went (DISCARD).
                executor.run([Query("SELECT 1")])
                return executor
            except Exception:
                executor.close()

    def release(self, executor: Executor, *, reusable: bool) -> None:
        if reusable:
            try:
                executor.rollback()
                # Its temporary tables (the last batch staged) go now, not when it is next used.
                executor.run([Execute("DISCARD TEMP")])
            except Exception:
                reusable = False
        if reusable:
            with self._lock:
                if not self._closed and len(self._idle) < MAX_IDLE_SESSIONS:
                    self._idle.append(executor)
                    return
        executor.close()

    def __call__(self) -> None:
        """Close the idle connections (the runtime is closing); later releases close theirs."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._closed = True
        for executor in idle:
            executor.close()


_pools_lock = threading.Lock()


def _postgres_pool(runtime: Runtime) -> PostgresPool:
    with _pools_lock:
        pool = next((c for c in runtime.closers if isinstance(c, PostgresPool)), None)
        if pool is None:
            url = runtime.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            pool = PostgresPool(url)
            runtime.closers.append(pool)
        return pool


@dataclass(frozen=True)
class _CloseIdle:
    """Stops a database file's idle SQLite writer processes when the runtime closes."""

    path: str

    def __call__(self) -> None:
        from loadbay.importing.sqlite_child import close_idle

        close_idle(self.path)


def _sqlite_path(runtime: Runtime) -> str | None:
    """The database file the engine writes through a child process, or None (PostgreSQL)."""
    url = runtime.engine.url
    if url.get_backend_name() != SQLITE:
        return None
    path = url.database or ":memory:"
    closer = _CloseIdle(path)
    if closer not in runtime.closers:
        runtime.closers.append(closer)
    return path


def warm(runtime: Runtime) -> None:
    """Start a worker's SQLite writer process before its first import needs it: the child's
    start (loading pyarrow and the driver) took half a second of the first import otherwise."""
    path = _sqlite_path(runtime)
    if path is not None:
        from loadbay.importing import sqlite_child

        sqlite_child.start_idle(path)


@contextlib.contextmanager
def bulk_session(runtime: Runtime) -> Iterator[BulkSession]:
    """A session on the runtime's database for one import run."""
    path = _sqlite_path(runtime)
    if path is not None:
        from loadbay.importing import sqlite_child

        with sqlite_child.acquire(path) as child:
            yield child
        return
    pool = _postgres_pool(runtime)
    executor = pool.acquire()
    reusable = False
    try:
        yield LocalSession(executor)
        reusable = True
    finally:
        # A run that raised may have left the connection in any state: it is not reused.
        pool.release(executor, reusable=reusable)
