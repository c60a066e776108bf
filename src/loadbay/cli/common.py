"""What every admin command shares: the console, logging, and a migrated runtime.

Server modules (SQLAlchemy, polars, argon2) are imported inside the commands that need them:
``loadbay push`` and ``loadbay imports`` then start in a fifth of the time.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from loadbay.runtime import Runtime

console = Console()


def json_logs() -> bool:
    """LOADBAY_LOG_FORMAT=json: every line a server process writes is a JSON object."""
    return os.environ.get("LOADBAY_LOG_FORMAT", "text").strip().lower() == "json"


def setup_logging() -> None:
    from loadbay.logs import configure_logging

    configure_logging(json_lines=json_logs(), level=os.environ.get("LOADBAY_LOG_LEVEL", "INFO").upper())


def announce(message: str) -> None:
    """A server's line for the person who started it: on the console, or a log line in JSON mode."""
    if json_logs():
        from rich.text import Text

        logging.getLogger("loadbay").info(Text.from_markup(message).plain)
    else:
        console.print(message)


def open_runtime() -> Runtime:
    """The configured runtime, with the database schema brought up to date first."""
    from loadbay.config import get_settings
    from loadbay.migrate import upgrade
    from loadbay.runtime import Runtime

    settings = get_settings()
    runtime = Runtime.create(settings)
    upgrade(runtime.engine)
    return runtime


@contextmanager
def admin_session(*refused: type[Exception], exit_code: int = 1, write: bool = True) -> Iterator[Session]:
    """One transaction for an admin command. An error of a ``refused`` type is the person's to
    fix: it prints as one line and exits with ``exit_code`` instead of a traceback."""
    from loadbay.db import transaction

    runtime = open_runtime()
    try:
        with transaction(runtime.write_sessions if write else runtime.sessions) as session:
            yield session
        if write:
            # Run from another folder, the embedded default is another database than the server's:
            # say which one, or "Unknown client" at the token request is all a person gets.
            where = runtime.engine.url.render_as_string(hide_password=True)
            Console(stderr=True).print(f"database: {where}", highlight=False, soft_wrap=True)
    except refused as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(exit_code) from None
    finally:
        runtime.close()
