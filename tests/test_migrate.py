"""The hand-written migrations build exactly the schema the models describe, and keep the rows."""

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import IntegrityError

import loadbay.migrate
from loadbay.migrate import upgrade
from loadbay.runtime import Runtime


def test_migrations_match_the_models(runtime: Runtime) -> None:
    from loadbay.models import Base

    with runtime.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        tables = set(connection.dialect.get_table_names(connection))
    assert diff == []
    assert tables >= {table.name for table in Base.metadata.sorted_tables}


@contextlib.contextmanager
def _upgraded_to(engine: Engine, *revisions: str) -> Iterator[Connection]:
    """A transaction on ``engine``'s database brought up to each of ``revisions`` in turn (an
    old Loadbay's database, to put rows into before the newer migrations run)."""
    config = Config()
    config.set_main_option("script_location", str(Path(loadbay.migrate.__file__).parent / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        for revision in revisions:
            command.upgrade(config, revision)
        yield connection


def test_dropping_the_bulk_tables_foreign_keys_keeps_their_rows(tmp_path: Path) -> None:
    # SQLite rebuilds a table to drop a foreign key (PostgreSQL drops it in place): the rows
    # stored before 0007 must be there after it, and the tables still refuse a duplicate key.
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with _upgraded_to(
        engine, "2026_11_24_0002", "2026_11_24_0003", "2026_11_24_0004", "2026_12_02_0006"
    ) as connection:
        connection.execute(text("INSERT INTO tenants (id, name, created_at) VALUES (1, 'd', '2026-01-01')"))
        connection.execute(
            text(
                "INSERT INTO roster_users (tenant_id, username, organization_id, active, created_at, updated_at) "
                "VALUES (1, 'ann', 'root', 1, '2026-01-01', '2026-01-01')"
            )
        )
    upgrade(engine)
    with engine.connect() as connection:
        keys = connection.execute(text("PRAGMA foreign_key_list(roster_users)")).all()
        users = connection.execute(text("SELECT tenant_id, username FROM roster_users")).all()
    assert keys == []
    assert users == [(1, "ann")]
    with pytest.raises(IntegrityError, match="UNIQUE"), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO roster_users (tenant_id, username, organization_id, active, created_at, "
                "updated_at) VALUES (1, 'ann', 'root', 1, '2026-01-01', '2026-01-01')"
            )
        )
    engine.dispose()


def _user(connection: Connection, username: str, source_id: str | None) -> None:
    connection.execute(
        text(
            "INSERT INTO roster_users (tenant_id, username, organization_id, active, source_id, "
            "created_at, updated_at) VALUES (1, :username, 'root', true, :source_id, "
            "'2026-01-01', '2026-01-01')"
        ),
        {"username": username, "source_id": source_id},
    )


def test_a_sourced_id_is_unique_where_it_is_set(runtime: Runtime) -> None:
    # Migration 0013: TAO's users have no sourcedId and are not indexed by one; OneRoster's are
    # still one row per sourcedId and tenant.
    with runtime.engine.begin() as connection:
        connection.execute(text("INSERT INTO tenants (id, name, created_at) VALUES (1, 'd', '2026-01-01')"))
        _user(connection, "ann", None)
        _user(connection, "bob", None)
        _user(connection, "cy", "u-1")
    with pytest.raises(IntegrityError), runtime.engine.begin() as connection:
        _user(connection, "dee", "u-1")
    with runtime.engine.connect() as connection:
        users = (
            connection.execute(text("SELECT username FROM roster_users ORDER BY username")).scalars().all()
        )
    assert users == ["ann", "bob", "cy"]


def test_the_partial_sourced_id_keys_keep_the_rows(tmp_path: Path) -> None:
    # SQLite rebuilds the table to drop the full key of 0012: its rows must survive it.
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with _upgraded_to(engine, "2026_12_07_0012") as connection:
        connection.execute(text("INSERT INTO tenants (id, name, created_at) VALUES (1, 'd', '2026-01-01')"))
        _user(connection, "ann", None)
        _user(connection, "cy", "u-1")
    upgrade(engine)
    with engine.connect() as connection:
        users = connection.execute(
            text("SELECT username, source_id FROM roster_users ORDER BY username")
        ).all()
    assert users == [("ann", None), ("cy", "u-1")]
    with pytest.raises(IntegrityError, match="UNIQUE"), engine.begin() as connection:
        _user(connection, "dee", "u-1")
    engine.dispose()
