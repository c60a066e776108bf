"""A child process that runs an import's bulk steps on SQLite through ADBC.

Why a process: ADBC's SQLite driver links its own copy of SQLite, and this process's SQLAlchemy
uses Python's. Two copies of SQLite in one process each believe they hold the locks the other
holds (POSIX locks are per process), and closing a file in one drops the other's locks — the
way SQLite databases get corrupted. Across processes the locks are exact. The child
(:mod:`sqlite_writer`) imports pyarrow and the ADBC driver only; it never opens the database
any other way.

Children are kept per database file and reused across imports, so an import does not wait for a
process to start; a child exits when its pipe closes (its parent ended, however it ended).
Steps and results travel as pickles (Arrow tables pickle as their buffers) over the pipes.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import IO, Any

from loadbay.importing.bulk import SQLITE, BulkError, Result, Step, connect_sqlite, translate

_HEADER = struct.Struct("!Q")
# Idle children kept per database file: one per worker thread that imports at once is enough.
_MAX_IDLE = 4


def _send(stream: IO[bytes], payload: object) -> None:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)  # noqa: S301  (our own parent, over our own pipe)


class ChildSession:
    """The parent's end: a BulkSession whose steps run in the child."""

    dialect = SQLITE

    def __init__(self, path: str) -> None:
        self.path = path
        self._process = subprocess.Popen(
            [sys.executable, "-m", "loadbay.importing.sqlite_writer", path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # The child's own errors (it cannot start, the disk is gone) go where ours go.
            stderr=None,
        )
        self.broken = False
        # One request at a time on the pipe: an import's planning stage looks rows up while its
        # writing stage writes (importing/run.py).
        self._lock = threading.Lock()

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
            if len(idle) < _MAX_IDLE:
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


def serve(path: str, requests: IO[bytes], replies: IO[bytes]) -> None:
    """The child's loop: run each request's steps, reply with the results or the error."""
    executor = connect_sqlite(path)
    try:
        while True:
            try:
                steps, begin, commit, rollback = _receive(requests)
            except EOFError:
                return
            try:
                if rollback:
                    executor.rollback()
                reply: tuple[str, object] = ("ok", executor.run(steps, begin=begin, commit=commit))
            except Exception as exc:
                error = translate(exc)
                reply = ("error", (type(error), str(error)))
            _send(replies, reply)
    finally:
        executor.close()
