"""``loadbay accounts create/list`` and ``loadbay clients grant/ungrant``, run in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loadbay.cli import app

runner = CliRunner()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> None:
    monkeypatch.setenv("LOADBAY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LOADBAY_DATABASE_URL", database_url)
    monkeypatch.setenv("LOADBAY_SECRET_KEY", "cli-test-secret-" + "x" * 32)


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    # stdout: what the command answered (stderr names the database it wrote to).
    return result.exit_code, " ".join(result.stdout.split())


def create_json(*args: str) -> dict[str, str]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    # stdout only: stderr says which database the command wrote to.
    payload: dict[str, str] = json.loads(result.stdout)
    return payload


@pytest.mark.usefixtures("cli_env")
def test_create_an_account_and_grant_it_to_a_client() -> None:
    client = create_json("clients", "create", "--tenant", "district-a", "--scope", "files")
    account = create_json("accounts", "create", "--tenant", "district-a", "--name", "Acme")
    assert account["account_id"].startswith("acc_")
    assert account == {"account_id": account["account_id"], "tenant": "district-a", "name": "Acme"}

    assert run("clients", "grant", client["client_id"], "--account", account["account_id"]) == (
        0,
        f"granted {account['account_id']} to {client['client_id']}",
    )
    assert run("clients", "grant", client["client_id"], "--account", account["account_id"]) == (
        0,
        f"{client['client_id']} already had {account['account_id']}",
    )
    code, output = run("accounts", "list", "--json")
    assert code == 0
    assert json.loads(output) == [
        {
            "account_id": account["account_id"],
            "tenant": "district-a",
            "name": "Acme",
            "clients": [client["client_id"]],
        }
    ]

    assert run("clients", "ungrant", client["client_id"], "--account", account["account_id"]) == (
        0,
        f"{client['client_id']} no longer has {account['account_id']}",
    )
    code, output = run("accounts", "list", "--tenant", "district-a", "--json")
    assert json.loads(output)[0]["clients"] == []


@pytest.mark.usefixtures("cli_env")
def test_account_names_are_unique_within_a_tenant_only() -> None:
    first = create_json("accounts", "create", "--tenant", "district-a", "--name", "Acme")
    code, output = run("accounts", "create", "--tenant", "district-a", "--name", "Acme")
    assert code == 1
    assert f"already has an account named 'Acme': {first['account_id']}" in output
    create_json("accounts", "create", "--tenant", "district-b", "--name", "Acme")
    code, output = run("accounts", "list", "--tenant", "district-b", "--json")
    assert [row["tenant"] for row in json.loads(output)] == ["district-b"]


@pytest.mark.usefixtures("cli_env")
def test_grants_never_cross_tenants_and_unknown_ids_are_errors() -> None:
    client = create_json("clients", "create", "--tenant", "district-a", "--scope", "files")
    theirs = create_json("accounts", "create", "--tenant", "district-b", "--name", "Acme")
    code, output = run("clients", "grant", client["client_id"], "--account", theirs["account_id"])
    assert code == 1
    assert "belongs to another tenant" in output
    code, output = run("clients", "grant", "lb_nobody", "--account", theirs["account_id"])
    assert (code, output) == (1, "error: no client lb_nobody")
    code, output = run("clients", "grant", client["client_id"], "--account", "acc_nothing")
    assert (code, output) == (1, "error: no account acc_nothing")
    code, output = run("accounts", "create", "--tenant", "district-a", "--name", "  ")
    assert (code, output) == (1, "error: give the account a name with --name")
