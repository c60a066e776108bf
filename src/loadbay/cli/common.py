"""What every admin command shares: the console, logging, and a migrated runtime.

Server modules (SQLAlchemy, polars, argon2) are imported inside the commands that need them:
``loadbay push`` and ``loadbay imports`` then start in a fifth of the time.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from rich.console import Console

if TYPE_CHECKING:
    from loadbay.runtime import Runtime

console = Console()


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def open_runtime() -> Runtime:
    """The configured runtime, with the database schema brought up to date first."""
    from loadbay.config import get_settings
    from loadbay.migrate import upgrade
    from loadbay.runtime import Runtime

    settings = get_settings()
    runtime = Runtime.create(settings)
    upgrade(runtime.engine)
    return runtime
