"""``loadbay companies create`` / ``projects create`` / ``companies set-retention``."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loadbay.cli import app
from loadbay.models import Company, CompanyProject
from loadbay.runtime import Runtime


@pytest.fixture
def cli(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("LOADBAY_DATA_DIR", str(runtime.settings.data_dir))
    monkeypatch.setenv("LOADBAY_DATABASE_URL", runtime.settings.resolved_database_url)
    return CliRunner()


def test_companies_and_projects(cli: CliRunner, runtime: Runtime) -> None:
    done = cli.invoke(app, ["companies", "create", "--tenant", "shop-a", "--name", "Shop A", "--json"])
    assert done.exit_code == 0, done.output
    company_id = json.loads(done.stdout)["company_id"]
    done = cli.invoke(app, ["projects", "create", "--company", company_id, "--name", "web", "--json"])
    assert done.exit_code == 0, done.output
    project_id = json.loads(done.stdout)["project_id"]
    done = cli.invoke(
        app, ["companies", "create", "--tenant", "shop-a", "--name", "Shop B", "--retention-days", "7"]
    )
    assert done.exit_code == 0, done.output
    with runtime.sessions() as session:
        company = session.get(Company, company_id)
        project = session.get(CompanyProject, project_id)
        assert company is not None
        assert project is not None
        assert (company.retention_days, project.company_id) == (30, company_id)
    done = cli.invoke(app, ["companies", "set-retention", company_id, "--days", "90"])
    assert done.exit_code == 0, done.output
    with runtime.sessions() as session:
        company = session.get(Company, company_id)
        assert company is not None
        assert company.retention_days == 90


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["companies", "create", "--tenant", "t", "--name", " "], "give the company a name"),
        (["companies", "create", "--tenant", "t", "--name", "x", "--retention-days", "-1"], "0 or more"),
        (["projects", "create", "--company", "nope", "--name", "web"], "no company nope"),
        (["companies", "set-retention", "9ef15c43-a955-4f4b-87e3-1b6d4f0e3a9c", "--days", "3"], "no company"),
    ],
)
def test_cli_errors(cli: CliRunner, args: list[str], fragment: str) -> None:
    done = cli.invoke(app, args)
    assert done.exit_code == 1
    assert fragment in done.output


def test_names_are_unique(cli: CliRunner) -> None:
    first = cli.invoke(app, ["companies", "create", "--tenant", "t", "--name", "Same", "--json"])
    company_id = json.loads(first.stdout)["company_id"]
    again = cli.invoke(app, ["companies", "create", "--tenant", "t", "--name", "Same"])
    assert again.exit_code == 1
    assert company_id in again.output
    cli.invoke(app, ["projects", "create", "--company", company_id, "--name", "p"])
    assert cli.invoke(app, ["projects", "create", "--company", company_id, "--name", "p"]).exit_code == 1
