"""The hand-written migration creates exactly the tables the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from loadbay.models import Base
from loadbay.runtime import Runtime

TABLES = {
    "companies",
    "company_projects",
    "import_batches",
    "payment_transactions",
    "payment_infos",
    "transfer_transactions",
    "transfer_payment_infos",
}


def _tables(diff: object) -> set[str]:
    names: set[str] = set()
    for item in diff if isinstance(diff, list) else [diff]:
        for part in item if isinstance(item, tuple) else [item]:
            name = getattr(part, "name", None) or getattr(getattr(part, "table", None), "name", None)
            if isinstance(name, str):
                names.add(name)
    return names


def test_migration_matches_the_models(runtime: Runtime) -> None:
    with runtime.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    mine = [d for d in diff if _tables(d) & TABLES or any(t.startswith("payment") for t in _tables(d))]
    assert mine == []
    with runtime.engine.connect() as connection:
        existing = set(connection.dialect.get_table_names(connection))
    assert existing >= TABLES
