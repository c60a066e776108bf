"""``loadbay accounts``: the accounts clients file documents under (the files API)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from loadbay.cli.common import console, open_runtime

app = typer.Typer(help="Accounts that clients file documents under (the files API).")


@app.command("create")
def accounts_create(
    tenant: Annotated[str, typer.Option(help="Tenant name; created if new.")],
    name: Annotated[str, typer.Option(help="Account name, unique within the tenant.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create an account; grant it to clients with ``loadbay clients grant``."""
    from loadbay.db import transaction
    from loadbay.files.accounts import AccountError, create_account

    runtime = open_runtime()
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


@app.command("list")
def accounts_list(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's accounts.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List accounts with their tenant and the clients granted to each."""
    from loadbay.db import transaction
    from loadbay.files.accounts import list_accounts

    runtime = open_runtime()
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
