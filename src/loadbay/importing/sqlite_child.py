"""A child process that runs an import's bulk steps on SQLite through ADBC.

Why a process: ADBC's SQLite driver links its own copy of SQLite, and this process's SQLAlchemy
uses Python's. Two copies of SQLite in one process each believe they hold the locks the other
holds (POSIX locks are per process), and closing a file in one drops the other's locks — the
way SQLite databases get corrupted. Across processes the locks are exact. The child
(:mod:`sqlite_writer`) imports pyarrow and the ADBC driver only; it never opens the database
any other way.

Children are kept per database file and reused across imports, so an import does not wait for a
process to start; a child exits when its pipe closes (its parent ended, however it ended).
Steps and results travel as pickles over the pipes, Arrow buffers beside them as they are.
The child copies the WAL into the database on a second connection while it goes on writing
(:class:`Checkpointer`).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import IO, Any

from loadbay.importing.bulk import (
    MAX_IDLE_SESSIONS,
    SQLITE,
    BulkError,
    Executor,
    Query,
    Result,
    Step,
    translate,
)

_HEADER = struct.Struct("!Q")
# The pipes' kernel buffers (Linux's default 64 KiB, raised up to fs/pipe-max-size): a 50,000-row
# slice of users is about 10 MB, and every 64 KiB cost the two processes a switch.
_PIPE_BYTES = 1 << 20
# The WAL a run may grow before its own commit copies it into the database (SQLite counts it in
# pages, of the database's own size). Below it the Checkpointer does that copy beside the writes.
WAL_CAP_BYTES = 512 << 20
# The WAL file kept on disk once a checkpoint has emptied it.
WAL_KEEP_BYTES = 64 << 20
# The lowest priority: the checkpointer runs on what CPU is left; WAL_CAP_BYTES bounds its lag.
_CHECKPOINT_NICE = 19
_CACHE_KIB = 16 << 10
_PRAGMAS = (
    "busy_timeout=30000",
    "synchronous=NORMAL",
    "foreign_keys=ON",
    # The staged batches, statement journals and sorts live in SQLite's temporary files (unlinked
    # at once, beside the database: ChildSession) behind a 16 MiB page cache of their
    # own, so a slice's stage seldom reaches the disk. Kept in memory instead, they grew the
    # writer with every slice of an update until the checkpoint's commit: 1M users rows updated
    # peaked at 565-628 MB against 503-520 MB, at the same speed (docs/engine.md).
    "temp_store=FILE",
    f"temp.cache_size={-_CACHE_KIB}",
    f"journal_size_limit={WAL_KEEP_BYTES}",
    # 16 MiB of page cache instead of 2 (a negative size is in KiB): the indexes' pages stay in
    # memory through a checkpoint's slices instead of going to the WAL and back. 1M users rows:
    # 3-4% faster, for at most 14 MB more in the writer (docs/engine.md).
    f"cache_size={-_CACHE_KIB}",
)


def _send(stream: IO[bytes], payload: object) -> None:
    """A pickle whose Arrow buffers travel beside it, written as they are (pickle protocol 5's
    out-of-band buffers): a slice's bytes are not copied into a pickle first."""
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(payload, protocol=5, buffer_callback=buffers.append)
    views = [buffer.raw() for buffer in buffers]
    sizes = [len(data), *(view.nbytes for view in views)]
    stream.write(_HEADER.pack(len(views)) + b"".join(_HEADER.pack(size) for size in sizes))
    stream.write(data)
    for view in views:
        stream.write(view)
    stream.flush()


def _read(stream: IO[bytes], size: int) -> bytearray:
    data = bytearray(size)
    if stream.readinto(data) < size:  # type: ignore[attr-defined]
        raise EOFError
    return data


def _receive(stream: IO[bytes]) -> Any:
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError
    (count,) = _HEADER.unpack(head)
    sizes = [_HEADER.unpack(_read(stream, _HEADER.size))[0] for _ in range(count + 1)]
    data, *buffers = (_read(stream, size) for size in sizes)
    return pickle.loads(data, buffers=buffers)  # noqa: S301  (our own parent, over our own pipe)


def _widen(stream: IO[bytes] | None) -> None:
    if stream is not None and hasattr(fcntl, "F_SETPIPE_SZ"):
        # Not allowed (a lower fs/pipe-max-size): the default buffer works, only slower.
        with contextlib.suppress(OSError):
            fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)


class ChildSession:
    """The parent's end: a BulkSession whose steps run in the child."""

    dialect = SQLITE

    def __init__(self, path: str) -> None:
        self.path = path
        self._process = subprocess.Popen(
            [sys.executable, "-m", "loadbay.importing.sqlite_writer", path],
            # SQLite's temporary files beside the database, whose folder is writable (the WAL is
            # made there), unless told otherwise: /var/tmp, its default, may not be (a container
            # with a read-only root).
            env={**os.environ, "SQLITE_TMPDIR": os.environ.get("SQLITE_TMPDIR") or os.path.dirname(path)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # The child's own errors (it cannot start, the disk is gone) go where ours go.
            stderr=None,
        )
        _widen(self._process.stdin)
        _widen(self._process.stdout)
        self.broken = False
        # One request at a time on the pipe: an import's planning stage looks rows up while its
        # writing stage writes (importing/run.py).
        self._lock = threading.Lock()

    @property
    def pid(self) -> int:
        return self._process.pid

    def run(self, steps: Sequence[Step], *, begin: bool = False, commit: bool = False) -> list[Result]:
        return self._call((list(steps), begin, commit, False))

    def rollback(self) -> None:
        if not self.broken:
            self._call(([], False, False, True))

    def _call(self, request: tuple[list[Step], bool, bool, bool]) -> list[Result]:
        process = self._process
        assert process.stdin is not None
        assert process.stdout is not None
        try:
            with self._lock:
                _send(process.stdin, request)
                status, payload = _receive(process.stdout)
        except (OSError, EOFError, pickle.PickleError) as exc:
            self.broken = True
            raise BulkError(f"the SQLite writer process stopped: {exc}") from exc
        if status == "ok":
            results: list[Result] = payload
            return results
        kind, message = payload
        raise kind(message)

    def close(self) -> None:
        process = self._process
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


_idle: dict[str, list[ChildSession]] = {}
_lock = threading.Lock()


@contextlib.contextmanager
def acquire(path: str) -> Iterator[ChildSession]:
    """A child on the database file ``path`` for one import run, returned to the pool after."""
    path = os.path.abspath(path)
    with _lock:
        idle = _idle.setdefault(path, [])
        child = idle.pop() if idle else None
    if child is None:
        child = ChildSession(path)
    try:
        yield child
    finally:
        # A run that stopped half-way (its lease lost) leaves a transaction open: undo it. A child
        # that still answers is then as good as new; its temporary tables are made anew.
        try:
            child.rollback()
        except BulkError:
            child.broken = True
        _release(child)


def start_idle(path: str) -> None:
    """Start one child on ``path`` and keep it idle for the next ``acquire``."""
    _release(ChildSession(os.path.abspath(path)))


def _release(child: ChildSession) -> None:
    if not child.broken:
        with _lock:
            idle = _idle.setdefault(child.path, [])
            if len(idle) < MAX_IDLE_SESSIONS:
                idle.append(child)
                return
    child.close()


def close_idle(path: str | None = None) -> None:
    """Stop the idle children of database file ``path`` (its runtime is closing), or of every one."""
    with _lock:
        if path is None:
            children = [child for idle in _idle.values() for child in idle]
            _idle.clear()
        else:
            children = _idle.pop(os.path.abspath(path), [])
    for child in children:
        child.close()


atexit.register(close_idle)


def connect(path: str) -> Executor:
    """An ADBC connection to the database file, set up for bulk writes."""
    import adbc_driver_sqlite.dbapi

    connection = adbc_driver_sqlite.dbapi.connect(path, autocommit=True)
    cursor = connection.cursor()
    cursor.execute("PRAGMA page_size")
    (page_bytes,) = cursor.fetchone() or (4096,)
    for pragma in (*_PRAGMAS, f"wal_autocheckpoint={WAL_CAP_BYTES // page_bytes}"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()
    return Executor(connection, SQLITE)


class Checkpointer:
    """Copies the WAL into the database on its own connection, after each commit it is told of,
    while the writer goes on with the next transaction.

    A checkpoint in the commit (SQLite's default) made every write wait for the copy: on 1M rows
    of users, 0.6 s of 3.9 s. A PASSIVE checkpoint takes no lock the writer needs; it copies
    the frames committed before it started and leaves the rest for the next one.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._wanted = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="wal-checkpointer", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        self._wanted.set()

    def _run(self) -> None:
        if sys.platform.startswith("linux"):
            # Linux gives each thread its own nice value: the copy takes what CPU the writer and
            # the import's stages leave, and lags behind them while they run.
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _CHECKPOINT_NICE)
        executor = connect(self._path)
        try:
            while True:
                self._wanted.wait()
                self._wanted.clear()
                if self._stopping:
                    return
                # A checkpoint that fails (the disk is full) is the writer's next commit's to
                # meet and report; this one tries again after that commit.
                with contextlib.suppress(Exception):
                    executor.run([Query("PRAGMA wal_checkpoint(PASSIVE)")])
        finally:
            executor.close()

    def close(self) -> None:
        self._stopping = True
        self._wanted.set()
        self._thread.join()


def serve(path: str, requests: IO[bytes], replies: IO[bytes]) -> None:
    """The child's loop: run each request's steps, reply with the results or the error."""
    executor = connect(path)
    checkpointer = Checkpointer(path)
    try:
        while True:
            try:
                steps, begin, commit, rollback = _receive(requests)
            except EOFError:
                return
            except Exception as exc:
                # Read whole but not unpickled (it names a module this process keeps out): the
                # pipe is still in step, so the parent gets the error and the writer goes on.
                _send(replies, ("error", (BulkError, f"the SQLite writer could not take a request: {exc!r}")))
                continue
            try:
                if rollback:
                    executor.rollback()
                reply: tuple[str, object] = ("ok", executor.run(steps, begin=begin, commit=commit))
            except Exception as exc:
                error = translate(exc)
                reply = ("error", (type(error), str(error)))
            _send(replies, reply)
            if commit:
                checkpointer.committed()
    finally:
        checkpointer.close()
        executor.close()
