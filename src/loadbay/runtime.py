"""The long-lived parts one process shares: settings, database, object storage, worker wake-up."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from loadbay.auth.tokens import TokenSigner
from loadbay.config import Settings
from loadbay.db import create_db_engine, make_session_factory, writing
from loadbay.kit.storage import ObjectStorage
from loadbay.limiting.service import Limiter


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    # The same pool; transactions begun on it write (a request's session switches to it, see deps.py).
    write_engine: Engine
    sessions: sessionmaker[Session]
    # For transactions that write: BEGIN IMMEDIATE on SQLite (see db.writing).
    write_sessions: sessionmaker[Session]
    storage: ObjectStorage
    signer: TokenSigner
    # Rate-limit counters (limiting/): this process's, or Redis's shared by every process.
    limiter: Limiter
    # Set when an upload is accepted, so in-process workers start at once instead of at the next poll.
    wakeup: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def create(cls, settings: Settings) -> Runtime:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_db_engine(
            settings.resolved_database_url,
            pool_size=settings.resolved_db_pool_size,
            pool_timeout=settings.db_pool_timeout,
        )
        write_engine = writing(engine)
        return cls(
            settings=settings,
            engine=engine,
            write_engine=write_engine,
            sessions=make_session_factory(engine),
            write_sessions=make_session_factory(write_engine),
            storage=ObjectStorage(settings),
            signer=TokenSigner(settings.resolved_secret_key),
            limiter=Limiter(settings),
        )

    # Run by close(): parts that hold processes or connections of their own (the engine's SQLite
    # writer processes) add how to let them go.
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for closer in self.closers:
            closer()
        self.engine.dispose()
