"""``loadbay accounts``: the accounts clients file documents under (the files API)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from loadbay.cli.common import admin_session, console

app = typer.Typer(help="Accounts that clients file documents under (the files API).")


@app.command("create")
def accounts_create(
    tenant: Annotated[str, typer.Option(help="Tenant name; created if new.")],
    name: Annotated[str, typer.Option(help="Account name, unique within the tenant.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create an account; grant it to clients with ``loadbay clients grant``."""
    from loadbay.files.accounts import AccountError, create_account

    with admin_session(AccountError) as session:
        created = create_account(session, tenant_name=tenant, name=name)
        payload = {"account_id": created.id, "tenant": tenant, "name": created.name}
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
    from loadbay.files.accounts import list_accounts

    with admin_session(write=False) as session:
        rows = [
            {"account_id": account.id, "tenant": owner.name, "name": account.name, "clients": clients}
            for account, owner, clients in list_accounts(session, tenant_name=tenant)
        ]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table("account_id", "tenant", "name", "clients")
    for row in rows:
        table.add_row(str(row["account_id"]), str(row["tenant"]), str(row["name"]), " ".join(row["clients"]))
    console.print(table)
