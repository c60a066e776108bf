"""``loadbay clients``: API clients (OAuth2 client credentials), their scopes and grants."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from loadbay.auth import SCOPES
from loadbay.cli.common import admin_session, console

app = typer.Typer(help="API clients (OAuth2 client credentials) and their tenants.")


@app.command("create")
def clients_create(
    tenant: Annotated[str, typer.Option(help="Tenant name; created if new.")],
    scope: Annotated[list[str], typer.Option(help=f"Scope to grant: {', '.join(SCOPES)}.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create an API client. Its secret is shown once and stored only as a hash."""
    from loadbay.auth.service import UnknownScopeError, create_client

    with admin_session(UnknownScopeError, exit_code=2) as session:
        client, secret = create_client(session, tenant_name=tenant, scopes=scope)
        payload = {
            "client_id": client.client_id,
            "client_secret": secret,
            "tenant": tenant,
            "scopes": client.scopes.split(),
        }
    if as_json:
        typer.echo(json.dumps(payload))
    else:
        console.print(f"client_id:     {payload['client_id']}")
        console.print(f"client_secret: {payload['client_secret']}  (shown once; keep it safe)")
        console.print(f"tenant:        {tenant}\nscopes:        {' '.join(payload['scopes'])}")


@app.command("list")
def clients_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List API clients with their tenant, scopes and state."""
    from loadbay.auth.service import list_clients

    with admin_session() as session:
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


@app.command("revoke")
def clients_revoke(client_id: str) -> None:
    """Revoke a client: its tokens stop working at once."""
    from loadbay.auth.service import revoke_client

    with admin_session() as session:
        found = revoke_client(session, client_id=client_id)
    if not found:
        console.print(f"[red]error:[/red] no client {client_id}")
        raise typer.Exit(1)
    console.print(f"revoked {client_id}")


@app.command("grant")
def clients_grant(
    client_id: str,
    account: Annotated[str, typer.Option(help="Account id (acc_...) of the client's tenant.")],
) -> None:
    """Let a client upload to, and read the documents of, an account."""
    from loadbay.files.accounts import AccountError, grant_account

    with admin_session(AccountError) as session:
        added = grant_account(session, client_id=client_id, account_id=account)
    console.print(f"granted {account} to {client_id}" if added else f"{client_id} already had {account}")


@app.command("ungrant")
def clients_ungrant(
    client_id: str,
    account: Annotated[str, typer.Option(help="Account id (acc_...).")],
) -> None:
    """Stop a client using an account, at once."""
    from loadbay.files.accounts import AccountError, revoke_grant

    with admin_session(AccountError) as session:
        removed = revoke_grant(session, client_id=client_id, account_id=account)
    console.print(
        f"{client_id} no longer has {account}" if removed else f"{client_id} did not have {account}"
    )
