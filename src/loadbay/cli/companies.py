"""``loadbay companies`` and ``loadbay projects``: what payments clients stage import batches for."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from loadbay.cli.common import admin_session, console

companies = typer.Typer(help="Companies that payments clients stage import batches for (seed 003).")
projects = typer.Typer(help="Projects of a company; each import batch belongs to one.")


def _company_command(action: str, payload: dict[str, object], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(payload))
    else:
        console.print(f"{action}: " + ", ".join(f"{k} {v}" for k, v in payload.items()))


@companies.command("create")
def companies_create(
    tenant: Annotated[str, typer.Option(help="Tenant name; created if new.")],
    name: Annotated[str, typer.Option(help="Company name, unique within the tenant.")],
    retention_days: Annotated[
        int, typer.Option(help="Days the company's uploaded and result files are kept after their import.")
    ] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create a company; the tenant's clients with scope payments act for it."""
    from loadbay.payments.companies import CompanyError, create_company

    with admin_session(CompanyError) as session:
        company = create_company(session, tenant_name=tenant, name=name, retention_days=retention_days)
        payload: dict[str, object] = {
            "company_id": company.id,
            "tenant": tenant,
            "name": company.name,
            "retention_days": company.retention_days,
        }
    _company_command("created company", payload, as_json)


@companies.command("set-retention")
def companies_set_retention(
    company_id: str,
    days: Annotated[
        int, typer.Option(help="Days files are kept after their import ended (0: until the next sweep).")
    ],
) -> None:
    """Change how long a company's import files are kept."""
    from loadbay.payments.companies import CompanyError, set_retention

    with admin_session(CompanyError) as session:
        set_retention(session, company_id=company_id, retention_days=days)
    console.print(f"company {company_id} keeps its files {days} day(s)")


@projects.command("create")
def projects_create(
    company: Annotated[str, typer.Option(help="Company id (a GUID).")],
    name: Annotated[str, typer.Option(help="Project name, unique within the company.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create a project of a company."""
    from loadbay.payments.companies import CompanyError, create_project

    with admin_session(CompanyError) as session:
        project = create_project(session, company_id=company, name=name)
        payload: dict[str, object] = {
            "project_id": project.id,
            "company_id": project.company_id,
            "name": project.name,
        }
    _company_command("created project", payload, as_json)
