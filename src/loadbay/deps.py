"""Annotated dependency aliases, in one place."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from loadbay.db import switch_to_writing, transaction
from loadbay.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_db(runtime: RuntimeDep) -> Iterator[Session]:
    """The request's one session: committed when the endpoint returns, rolled back if it raises.

    It holds a pooled connection only while a transaction is open: from its first statement to
    the next commit. An endpoint that awaits a request body after reading ends its read first.
    """
    with transaction(runtime.sessions) as session:
        yield session


# scope="function": commit before the response is sent, so a client that polls at once sees it.
DbSession = Annotated[Session, Depends(get_db, scope="function")]


def get_write_db(session: DbSession, runtime: RuntimeDep) -> Session:
    """The request's session, for a request that writes: its transactions from here on take
    SQLite's write lock as they begin (see db.writing)."""
    switch_to_writing(session, write_engine=runtime.write_engine)
    return session


# The same session as DbSession (one per request), switched to writing.
WriteSession = Annotated[Session, Depends(get_write_db)]
