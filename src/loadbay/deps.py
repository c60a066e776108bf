"""Annotated dependency aliases, in one place."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from loadbay.db import transaction
from loadbay.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_db(runtime: RuntimeDep) -> Iterator[Session]:
    """The request's transaction: committed when the endpoint returns, rolled back if it raises."""
    with transaction(runtime.sessions) as session:
        yield session


def get_write_db(runtime: RuntimeDep) -> Iterator[Session]:
    """Like get_db, for the part of a request that writes (see db.make_session_factory)."""
    with transaction(runtime.write_sessions) as session:
        yield session


# scope="function": commit before the response is sent, so a client that polls at once sees it.
DbSession = Annotated[Session, Depends(get_db, scope="function")]
WriteSession = Annotated[Session, Depends(get_write_db, scope="function")]
