"""``loadbay webhooks create|list|delete|deliveries``: the tenant's completion webhooks.

Same conventions as ``imports``: tables or ``--json`` on stdout, notes and errors on stderr,
exit 3 when the server refuses (a private target, a wrong id).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from loadbay.client.terminal import (
    DEFAULT_URL,
    AsJson,
    ClientCommand,
    ClientGroup,
    ClientId,
    ClientSecret,
    Quiet,
    Url,
    note,
    open_client,
    out,
    print_json,
)

webhooks_app = typer.Typer(
    cls=ClientGroup,
    help="Completion webhooks: endpoints that get a signed event when an import ends.",
    no_args_is_help=True,
)

EndpointId = Annotated[str, typer.Argument(metavar="ID", help="The endpoint's id (from `list`).")]


@webhooks_app.command("create", cls=ClientCommand)
def webhooks_create(
    endpoint_url: Annotated[str, typer.Argument(metavar="URL", help="Where to POST the events.")],
    url: Url = DEFAULT_URL,
    client_id: ClientId = None,
    client_secret: ClientSecret = None,
    as_json: AsJson = False,
    quiet: Quiet = False,
) -> None:
    """Register an endpoint. Prints its signing secret: the only time it is shown."""
    with open_client(url, client_id, client_secret) as client:
        created = client.create_webhook(endpoint_url)
    if as_json:
        print_json(created)
        return
    out.print(created["secret"], soft_wrap=True)
    note(
        quiet,
        f"endpoint {created['id']} registered; keep the secret above, it is not shown again: "
        "verify each delivery's webhook-signature with it (Standard Webhooks)",
    )


@webhooks_app.command("list", cls=ClientCommand)
def webhooks_list(
    url: Url = DEFAULT_URL,
    client_id: ClientId = None,
    client_secret: ClientSecret = None,
    as_json: AsJson = False,
) -> None:
    """The tenant's endpoints."""
    with open_client(url, client_id, client_secret) as client:
        items = client.webhooks()
    if as_json:
        print_json(items)
    elif items:
        table = Table("id", "url", "scopes", "created")
        for item in items:
            table.add_row(item["id"], escape(item["url"]), " ".join(item["scopes"]), item["createdAt"])
        out.print(table)
    else:
        note(False, "no webhook endpoints")


@webhooks_app.command("delete", cls=ClientCommand)
def webhooks_delete(
    endpoint_id: EndpointId,
    url: Url = DEFAULT_URL,
    client_id: ClientId = None,
    client_secret: ClientSecret = None,
    quiet: Quiet = False,
) -> None:
    """Stop sending to an endpoint; its delivery log goes with it."""
    with open_client(url, client_id, client_secret) as client:
        client.delete_webhook(endpoint_id)
    note(quiet, f"deleted webhook endpoint {endpoint_id}")


def _attempts(delivery: dict[str, Any]) -> str:
    return ", ".join(
        f"{a['statusCode'] or a['error']} in {a['latencyMs']} ms" for a in delivery["attemptLog"]
    )


@webhooks_app.command("deliveries", cls=ClientCommand)
def webhooks_deliveries(
    endpoint_id: EndpointId,
    url: Url = DEFAULT_URL,
    client_id: ClientId = None,
    client_secret: ClientSecret = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=200, help="How many, newest first.")] = 20,
    as_json: AsJson = False,
) -> None:
    """An endpoint's delivery log: each event, its status and every attempt."""
    with open_client(url, client_id, client_secret) as client:
        items = client.webhook_deliveries(endpoint_id, limit=limit)
    if as_json:
        print_json(items)
        return
    if not items:
        note(False, "no deliveries yet")
        return
    table = Table("event", "import", "status", "attempts", "next attempt")
    for item in items:
        table.add_row(
            item["eventType"],
            item["referenceId"],
            item["status"],
            _attempts(item),
            item["nextAttemptAt"] or "",
        )
    out.print(table)
