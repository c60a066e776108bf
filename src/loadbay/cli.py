"""The ``loadbay`` command: serve, api, worker, migrate, clients."""

from __future__ import annotations

import json
import logging
import signal
import threading
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from loadbay.auth import SCOPES
from loadbay.client.commands import add_client_commands

# Server modules (SQLAlchemy, polars, argon2) are imported inside the commands that need them:
# `loadbay push` and `loadbay imports` then start in a fifth of the time.
if TYPE_CHECKING:
    from loadbay.runtime import Runtime

app = typer.Typer(help="Loadbay: bulk data intake over an API.", no_args_is_help=True)
clients_app = typer.Typer(help="API clients (OAuth2 client credentials) and their tenants.")
app.add_typer(clients_app, name="clients")
accounts_app = typer.Typer(help="Accounts that clients file documents under (the files API).")
app.add_typer(accounts_app, name="accounts")
companies_app = typer.Typer(help="Companies that payments clients stage import batches for (seed 003).")
app.add_typer(companies_app, name="companies")
projects_app = typer.Typer(help="Projects of a company; each import batch belongs to one.")
app.add_typer(projects_app, name="projects")
console = Console()


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _runtime() -> Runtime:
    from loadbay.config import get_settings
    from loadbay.migrate import upgrade
    from loadbay.runtime import Runtime

    settings = get_settings()
    runtime = Runtime.create(settings)
    upgrade(runtime.engine)
    return runtime


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Everything in one process: API and workers (the embedded default: SQLite, local files)."""
    import uvicorn

    from loadbay.app import create_app
    from loadbay.config import Settings
    from loadbay.migrate import upgrade
    from loadbay.runtime import Runtime

    _logging()
    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = Settings(**overrides)  # type: ignore[arg-type]
    runtime = Runtime.create(settings)
    upgrade(runtime.engine)
    runtime.close()
    console.print(
        f"Loadbay on [bold]http://{settings.host}:{settings.port}[/bold] "
        f"with {settings.workers} worker(s); database {settings.resolved_database_url.split('://')[0]}, "
        f"storage {settings.resolved_storage_url}"
    )
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


@app.command()
def api(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes.")] = 1,
) -> None:
    """The HTTP API only; imports are left to ``loadbay worker`` processes."""
    import uvicorn

    _logging()
    _runtime().close()
    uvicorn.run("loadbay.app:api_from_env", factory=True, host=host, port=port, workers=workers)


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="Imports this process runs at once.")] = 1,
) -> None:
    """A standalone worker: claims pending imports and runs them until SIGTERM."""
    from loadbay.catalog import load_import_types
    from loadbay.jobs.worker import WorkerPool

    _logging()
    load_import_types()
    runtime = _runtime()
    pool = WorkerPool(runtime, size=concurrency)
    stopping = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    pool.start()
    console.print(f"worker running {concurrency} import(s) at a time; SIGTERM stops it")
    stopping.wait()
    grace = runtime.settings.worker_grace_seconds
    logging.getLogger("loadbay.jobs").info("stopping: running imports get %g s to finish", grace)
    if pool.stop():
        runtime.close()


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    _runtime().close()
    console.print("database is up to date")


@clients_app.command("create")
def clients_create(
    tenant: Annotated[str, typer.Option(help="Tenant name; created if new.")],
    scope: Annotated[list[str], typer.Option(help=f"Scope to grant: {', '.join(SCOPES)}.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create an API client. Its secret is shown once and stored only as a hash."""
    from loadbay.auth.service import UnknownScopeError, create_client
    from loadbay.db import transaction

    runtime = _runtime()
    try:
        with transaction(runtime.write_sessions) as session:
            client, secret = create_client(session, tenant_name=tenant, scopes=scope)
            payload = {
                "client_id": client.client_id,
                "client_secret": secret,
                "tenant": tenant,
                "scopes": client.scopes.split(),
            }
    except UnknownScopeError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    finally:
        runtime.close()
    if as_json:
        typer.echo(json.dumps(payload))
    else:
        console.print(f"client_id:     {payload['client_id']}")
        console.print(f"client_secret: {payload['client_secret']}  (shown once; keep it safe)")
        console.print(f"tenant:        {tenant}\nscopes:        {' '.join(payload['scopes'])}")


@clients_app.command("list")
def clients_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List API clients with their tenant, scopes and state."""
    from loadbay.auth.service import list_clients
    from loadbay.db import transaction

    runtime = _runtime()
    with transaction(runtime.write_sessions) as session:
        rows = [
            {
                "client_id": client.client_id,
                "tenant": tenant.name,
                "scopes": client.scopes.split(),
                "created_at": client.created_at.isoformat(timespec="seconds"),
                "revoked": client.revoked_at is not None,
            }
            for client, tenant in list_clients(session)
        ]
    runtime.close()
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table("client_id", "tenant", "scopes", "created", "state")
    for row in rows:
        table.add_row(
            str(row["client_id"]),
            str(row["tenant"]),
            " ".join(row["scopes"]),  # type: ignore[arg-type]
            str(row["created_at"]),
            "revoked" if row["revoked"] else "active",
        )
    console.print(table)


@clients_app.command("revoke")
def clients_revoke(client_id: str) -> None:
    """Revoke a client: its tokens stop working at once."""
    from loadbay.auth.service import revoke_client
    from loadbay.db import transaction

    runtime = _runtime()
    with transaction(runtime.write_sessions) as session:
        found = revoke_client(session, client_id=client_id)
    runtime.close()
    if not found:
        console.print(f"[red]error:[/red] no client {client_id}")
        raise typer.Exit(1)
    console.print(f"revoked {client_id}")


@clients_app.command("grant")
def clients_grant(
    client_id: str,
    account: Annotated[str, typer.Option(help="Account id (acc_...) of the client's tenant.")],
) -> None:
    """Let a client upload to, and read the documents of, an account."""
    from loadbay.db import transaction
    from loadbay.files.accounts import AccountError, grant_account

    runtime = _runtime()
    try:
        with transaction(runtime.write_sessions) as session:
            added = grant_account(session, client_id=client_id, account_id=account)
    except AccountError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        runtime.close()
    console.print(f"granted {account} to {client_id}" if added else f"{client_id} already had {account}")


@clients_app.command("ungrant")
def clients_ungrant(
    client_id: str,
    account: Annotated[str, typer.Option(help="Account id (acc_...).")],
) -> None:
    """Stop a client using an account, at once."""
    from loadbay.db import transaction
    from loadbay.files.accounts import AccountError, revoke_grant

    runtime = _runtime()
    try:
        with transaction(runtime.write_sessions) as session:
            removed = revoke_grant(session, client_id=client_id, account_id=account)
    except AccountError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        runtime.close()
    console.print(
        f"{client_id} no longer has {account}" if removed else f"{client_id} did not have {account}"
    )


@accounts_app.command("create")
def accounts_create(
    tenant: Annotated[str, typer.Option(help="Tenant name; created if new.")],
    name: Annotated[str, typer.Option(help="Account name, unique within the tenant.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create an account; grant it to clients with ``loadbay clients grant``."""
    from loadbay.db import transaction
    from loadbay.files.accounts import AccountError, create_account

    runtime = _runtime()
    try:
        with transaction(runtime.write_sessions) as session:
            created = create_account(session, tenant_name=tenant, name=name)
            payload = {"account_id": created.id, "tenant": tenant, "name": created.name}
    except AccountError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        runtime.close()
    if as_json:
        typer.echo(json.dumps(payload))
    else:
        console.print(
            f"account_id: {payload['account_id']}\ntenant:     {tenant}\nname:       {payload['name']}"
        )


@accounts_app.command("list")
def accounts_list(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's accounts.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List accounts with their tenant and the clients granted to each."""
    from loadbay.db import transaction
    from loadbay.files.accounts import list_accounts

    runtime = _runtime()
    with transaction(runtime.sessions) as session:
        rows = [
            {"account_id": account.id, "tenant": owner.name, "name": account.name, "clients": clients}
            for account, owner, clients in list_accounts(session, tenant_name=tenant)
        ]
    runtime.close()
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table("account_id", "tenant", "name", "clients")
    for row in rows:
        table.add_row(str(row["account_id"]), str(row["tenant"]), str(row["name"]), " ".join(row["clients"]))
    console.print(table)


def _company_command(action: str, payload: dict[str, object], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(payload))
    else:
        console.print(f"{action}: " + ", ".join(f"{k} {v}" for k, v in payload.items()))


@companies_app.command("create")
def companies_create(
    tenant: Annotated[str, typer.Option(help="Tenant name; created if new.")],
    name: Annotated[str, typer.Option(help="Company name, unique within the tenant.")],
    retention_days: Annotated[
        int, typer.Option(help="Days the company's uploaded and result files are kept after their import.")
    ] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create a company; the tenant's clients with scope payments act for it."""
    from loadbay.db import transaction
    from loadbay.payments.companies import CompanyError, create_company

    runtime = _runtime()
    try:
        with transaction(runtime.write_sessions) as session:
            company = create_company(session, tenant_name=tenant, name=name, retention_days=retention_days)
            payload: dict[str, object] = {
                "company_id": company.id,
                "tenant": tenant,
                "name": company.name,
                "retention_days": company.retention_days,
            }
    except CompanyError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        runtime.close()
    _company_command("created company", payload, as_json)


@companies_app.command("set-retention")
def companies_set_retention(
    company_id: str,
    days: Annotated[
        int, typer.Option(help="Days files are kept after their import ended (0: until the next sweep).")
    ],
) -> None:
    """Change how long a company's import files are kept."""
    from loadbay.db import transaction
    from loadbay.payments.companies import CompanyError, set_retention

    runtime = _runtime()
    try:
        with transaction(runtime.write_sessions) as session:
            set_retention(session, company_id=company_id, retention_days=days)
    except CompanyError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        runtime.close()
    console.print(f"company {company_id} keeps its files {days} day(s)")


@projects_app.command("create")
def projects_create(
    company: Annotated[str, typer.Option(help="Company id (a GUID).")],
    name: Annotated[str, typer.Option(help="Project name, unique within the company.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create a project of a company."""
    from loadbay.db import transaction
    from loadbay.payments.companies import CompanyError, create_project

    runtime = _runtime()
    try:
        with transaction(runtime.write_sessions) as session:
            project = create_project(session, company_id=company, name=name)
            payload: dict[str, object] = {
                "project_id": project.id,
                "company_id": project.company_id,
                "name": project.name,
            }
    except CompanyError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        runtime.close()
    _company_command("created project", payload, as_json)


add_client_commands(app)


def main() -> None:
    app()
