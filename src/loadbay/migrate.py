"""Run the Alembic migrations shipped inside the package (``loadbay migrate``, and at start-up)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, text

from loadbay.db import is_postgresql

_LOCK_KEY = 746_511_203  # an arbitrary constant: the advisory lock that serializes migrations

# What alembic_version holds in a database this process has brought to the newest revision
# (one row per branch left open; branches that depend on others close into them).
_newest: set[frozenset[str]] = set()


def _versions(connection: Connection) -> frozenset[str]:
    return frozenset(MigrationContext.configure(connection).get_current_heads())


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision; safe when several processes start at once.

    A database whose versions are those this process has already seen a full upgrade end with is
    left alone after that one read: Alembic's own run reads every script first, 0.1 s a start
    (and a test, where every database is a migrated copy) for nothing."""
    with engine.connect() as connection:
        if _versions(connection) in _newest:
            return
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as connection:
        if is_postgresql(engine):
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        config.attributes["connection"] = connection
        # "heads": features add their revisions on branches of their own; all of them apply.
        command.upgrade(config, "heads")
        versions = _versions(connection)
    # Once committed: a set's add needs no lock of its own.
    _newest.add(versions)
