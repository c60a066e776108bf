"""The ``loadbay`` command: running Loadbay, administering it, and the HTTP client.

One module per noun; this one only assembles them.
"""

from __future__ import annotations

import typer

from loadbay.cli import accounts, clients, companies, server
from loadbay.client.commands import add_client_commands
from loadbay.kit.memory import limit_arenas

app = typer.Typer(help="Loadbay: bulk data intake over an API.", no_args_is_help=True)
for command in (server.serve, server.api, server.worker, server.migrate):
    app.command()(command)
app.add_typer(clients.app, name="clients")
app.add_typer(accounts.app, name="accounts")
app.add_typer(companies.companies, name="companies")
app.add_typer(companies.projects, name="projects")
add_client_commands(app)


def main() -> None:
    # First thing: the limit holds only for arenas made after it (src/loadbay/kit/memory.py).
    limit_arenas()
    app()
