"""``loadbay push --company``: a merchant's payments file through the batches API, against a real server."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from loadbay.client.errors import UsageError
from loadbay.client.payments import BatchTarget, resolve_target
from loadbay.client.schemas import Company
from tests.client.conftest import Cli, add_client
from tests.conftest import Credentials, counts
from tests.e2e.server import LoadbayServer

pytestmark = pytest.mark.e2e

# Small, so that a file over the batches' limit is cheap to make.
SERVER_ENV = {"LOADBAY_BATCHES_MAX_UPLOAD_BYTES": "100000"}

HEADER = "TransactionId,AccountId,Type,Amount,Currency,Status,TransactionDate\n"
REFERENCE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def transactions(*ids: str) -> str:
    return HEADER + "".join(f"{i},cust-17,Sale,12.50,USD,Completed,2026-11-24T10:00:00Z\n" for i in ids)


def write(folder: Path, text: str, name: str = "transactions.csv") -> Path:
    path = folder / name
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def credentials(server: LoadbayServer) -> Credentials:
    """The module's ``cli`` is a merchant's: scope payments only."""
    return add_client(server, scopes=("payments",))


def _admin(server: LoadbayServer, *args: str) -> str:
    done = server.cli(*args, "--json")
    assert done.returncode == 0, done.stderr + done.stdout
    payload: dict[str, str] = json.loads(done.stdout)
    return payload.get("project_id") or payload["company_id"]


@pytest.fixture(scope="module")
def shops(server: LoadbayServer, credentials: Credentials) -> dict[str, str]:
    """Shop A with projects web and app, Shop B with one project (shop): ids by name.

    After ``credentials``, which made the tenant: the companies join it rather than race to make it.
    """

    def company(name: str) -> str:
        return _admin(server, "companies", "create", "--tenant", "district-a", "--name", name)

    def project(name: str, company_id: str) -> str:
        return _admin(server, "projects", "create", "--company", company_id, "--name", name)

    with ThreadPoolExecutor(3) as pool:
        ids = dict(zip(("Shop A", "Shop B"), pool.map(company, ("Shop A", "Shop B")), strict=True))
        projects = {"web": ids["Shop A"], "app": ids["Shop A"], "shop": ids["Shop B"]}
        ids.update(zip(projects, pool.map(project, projects, projects.values()), strict=True))
    return ids


def test_a_bad_amount_is_explained_and_in_the_result_file(
    cli: Cli, shops: dict[str, str], tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        HEADER + "t-1001,cust-17,Sale,12.50,USD,Completed,2026-11-24T10:00:00Z\n"
        "t-1002,cust-17,Sale,12.505,USD,Completed,2026-11-24T10:05:00Z\n",
    )
    result = tmp_path / "result.csv"
    done = cli("push", path, "--company", "Shop A", "--project", "web", "--wait", "--result", result)

    assert done.returncode == 1, done.stderr
    assert re.search(r"template +│ Transactions", done.stdout)
    assert re.search(r"created +│ 1 ", done.stdout)
    assert re.search(r"3 +│ error +│ Amount +│ 12.505 has more decimal places than USD allows", done.stdout)
    assert "1 row(s) failed; the other rows were written." in done.stdout
    assert "uploading transactions.csv" in done.stderr
    assert "Transactions file for company Shop A, project web: batch " in done.stderr
    rows = list(csv.DictReader(io.StringIO(result.read_text())))
    assert [(row["line"], row["outcome"], row["key"]) for row in rows] == [
        ("2", "created", "t-1001"),
        ("3", "failed", "t-1002"),
    ]
    assert "12.505" in rows[1]["messages"]


def test_push_by_ids_prints_the_reference(cli: Cli, shops: dict[str, str], tmp_path: Path) -> None:
    path = write(tmp_path, transactions("t-2001", "t-2002"))
    done = cli(
        "push", path, "--company", shops["Shop A"], "--project", shops["app"], "--type", "Transactions"
    )

    assert done.returncode == 0, done.stderr
    reference = done.stdout.strip()
    assert REFERENCE.fullmatch(reference)
    detail = cli.json("imports", "show", reference, "--wait")
    assert (detail["importType"], detail["scope"], detail["status"]) == (
        "Transactions",
        "payments",
        "processed",
    )
    assert detail["counts"] == counts(created=2)


def test_the_project_may_be_left_out_when_there_is_one(
    cli: Cli, shops: dict[str, str], tmp_path: Path
) -> None:
    path = write(tmp_path, transactions("t-3001"))
    detail = cli.json("push", path, "--company", "Shop B", "--wait")
    assert detail["counts"] == counts(created=1)


USERS = "user_username,user_name,user_password,user_email,user_role,user_organizationId\n"
PAYMENTS_INFO = "PaymentInfoId,AccountId,PaymentMethod,Token\npm-1,acc-1,Card,tok_1\n"

# name: (arguments, payments client or rostering, exit code, what it says); {tx}, {users}, {info}
# and {big} are files.
EXIT_CODES: dict[str, tuple[list[str], bool, int, str]] = {
    "unknown-company": (
        ["push", "{tx}", "--company", "Shop Z"],
        True,
        3,
        "No company 'Shop Z' (by id or exact name); there are: Shop A (",
    ),
    "unknown-project": (
        ["push", "{tx}", "--company", "Shop A", "--project", "mobile"],
        True,
        3,
        "No project 'mobile' in company Shop A (by id or exact name); there are: ",
    ),
    "which-project": (
        ["push", "{tx}", "--company", "Shop A"],
        True,
        3,
        "Company Shop A has 2 projects: give --project, one of ",
    ),
    "no-template": (
        ["push", "{users}", "--company", "Shop B", "--wait"],
        True,
        2,
        "The header of users.csv fits no payments template; the closest, Transactions: unknown column(s) user_username",
    ),
    "header-refused": (
        ["push", "{info}", "--company", "Shop B", "--type", "Transactions"],
        True,
        2,
        "error: The header does not fit Transactions: ",
    ),
    "too-large": (
        ["push", "{big}", "--company", "Shop B"],
        True,
        2,
        # Refused before the batch is staged, by the batches' own limit from /api/v1/limits.
        "and the server takes at most 100,000. Split the file and upload each part.",
    ),
    "dry-run": (
        ["push", "{tx}", "--company", "Shop B", "--dry-run"],
        True,
        3,
        "The batches API has no dry-run option: --dry-run cannot go with --company.",
    ),
    "abort-on-error": (
        ["push", "{tx}", "--company", "Shop B", "--abort-on-error"],
        True,
        3,
        "The batches API has no abort-on-error option",
    ),
    "project-alone": (["push", "{tx}", "--project", "web"], True, 3, "--project needs --company"),
    "rostering-client": (
        ["push", "{tx}", "--company", "Shop B"],
        False,
        3,
        "error: Insufficient scope: this API needs a token with scope payments. (HTTP 403)",
    ),
    "payments-client-without-company": (
        ["push", "{users}"],
        True,
        3,
        "Insufficient scope (HTTP 403): uploading needs a client with scope rostering; this client "
        "has scope payments: push payments files with --company (and --project)",
    ),
}


def test_exit_codes(cli: Cli, server: LoadbayServer, shops: dict[str, str], tmp_path: Path) -> None:
    files = {
        "tx": write(tmp_path, transactions("t-4001")),
        "users": write(tmp_path, USERS + "kai,Kai Berg,Str0ng#Pass,kai@example.org,,root\n", "users.csv"),
        "info": write(tmp_path, PAYMENTS_INFO, "info.csv"),
        "big": write(tmp_path, transactions(*(f"t-{n}" for n in range(50_000))), "big.csv"),
    }
    rostering = add_client(server)
    as_rostering = {
        "LOADBAY_CLIENT_ID": rostering.client_id,
        "LOADBAY_CLIENT_SECRET": rostering.client_secret,
    }

    def run(args: list[str], payments: bool) -> subprocess.CompletedProcess[str]:
        return cli(*(arg.format(**files) for arg in args), **({} if payments else as_rostering))

    with ThreadPoolExecutor(len(EXIT_CODES)) as pool:
        runs = {name: pool.submit(run, args, payments) for name, (args, payments, _, _) in EXIT_CODES.items()}
    done = {name: future.result() for name, future in runs.items()}

    cli.check_runs(done, {name: (code, expected) for name, (_, _, code, expected) in EXIT_CODES.items()})
    for name in EXIT_CODES:
        # One line on stderr, nothing on stdout that a script would take for a result.
        assert done[name].stdout == "", name
        assert re.search(r"(\A|\n)error: [^\n]+\n\Z", done[name].stderr), done[name].stderr
    assert "/api/v1/templates/Transactions.csv" in done["no-template"].stderr
    assert done["header-refused"].stderr.endswith("(HTTP 400)\n")
    # What exists is listed, by name and id.
    listed = done["unknown-company"].stderr
    assert f"Shop A ({shops['Shop A']})" in listed
    assert f"Shop B ({shops['Shop B']})" in listed
    assert f"web ({shops['web']})" in done["which-project"].stderr
    assert "app (" in done["which-project"].stderr


def test_a_name_two_companies_share_asks_for_an_id() -> None:
    # The server keeps names unique within a tenant; an id that is another's name is the way left.
    companies: list[Company] = [
        {
            "companyId": "c-1",
            "name": "Shop",
            "retentionDays": 30,
            "projects": [{"companyProjectId": "p-1", "name": "web"}],
        },
        {"companyId": "c-2", "name": "Shop", "retentionDays": 30, "projects": []},
    ]
    with pytest.raises(
        UsageError, match=r"The company name 'Shop' is not unique: give the id of one: c-1, c-2\."
    ):
        resolve_target(companies, company="Shop", project=None)
    assert resolve_target(companies, company="C-1", project=None) == BatchTarget("c-1", "Shop", "p-1", "web")
    with pytest.raises(UsageError, match=r"Company Shop has no projects; an administrator creates one"):
        resolve_target(companies, company="c-2", project=None)
    with pytest.raises(UsageError, match=r"this client's tenant has no companies yet"):
        resolve_target([], company="Shop", project=None)
