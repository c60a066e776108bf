"""Run the Alembic migrations shipped inside the package (``loadbay migrate``, and at start-up)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from loadbay.db import is_postgresql

_LOCK_KEY = 746_511_203  # an arbitrary constant: the advisory lock that serializes migrations


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision; safe when several processes start at once."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as connection:
        if is_postgresql(engine):
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        config.attributes["connection"] = connection
        # "heads": features add their revisions on branches of their own; all of them apply.
        command.upgrade(config, "heads")
