"""``loadbay push`` and ``loadbay imports`` as a script runs them, against a real server."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.client.conftest import Cli, add_client
from tests.conftest import counts
from tests.e2e.server import LOADBAY, LoadbayServer, free_port

pytestmark = pytest.mark.e2e

# Small, so that a file over the limit is cheap to make.
SERVER_ENV = {"LOADBAY_MAX_UPLOAD_BYTES": "40000"}

HEADER = "user_username,user_name,user_password,user_email,user_role,user_organizationId\n"
REFERENCE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def write(folder: Path, text: str, name: str = "users.csv") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def outcomes(text: str) -> list[tuple[str, str]]:
    return [(row["line"], row["outcome"]) for row in csv.DictReader(io.StringIO(text))]


def test_mistakes_are_explained_then_fixed_and_the_result_downloaded(cli: Cli, tmp_path: Path) -> None:
    mistakes = write(
        tmp_path,
        HEADER
        + "mia,Mia Doe,Str0ng#Pass,mia@example.org,ADMIN,root\nnoah,Noah Lee,weak,not-an-email,,root\n",
    )
    first_result = tmp_path / "first-result.csv"
    done = cli("push", mistakes, "--wait", "--result", first_result)

    assert done.returncode == 1, done.stderr
    # Every mistake by line and column, in words a person can act on.
    assert re.search(r"3 +│ error +│ user_password +│ must be at least 8 characters", done.stdout)
    assert re.search(r"3 +│ error +│ user_email +│ is not a valid e-mail address", done.stdout)
    assert re.search(r"status +│ processed", done.stdout)
    assert re.search(r"created +│ 1 ", done.stdout)
    assert re.search(r"failed +│ 1 ", done.stdout)
    assert "1 row(s) failed; the other rows were written." in done.stdout
    # Captured through a pipe: no colours or bars on stdout; progress went to stderr.
    assert "\x1b[" not in done.stdout
    assert "uploading users.csv" in done.stderr
    assert "uploading" not in done.stdout
    result = first_result.read_text()
    assert outcomes(result) == [("2", "created"), ("3", "failed")]
    assert "user_password" not in result.splitlines()[0]
    assert "Str0ng#Pass" not in result

    fixed = write(
        tmp_path,
        HEADER + "mia,Mia Doe,Str0ng#Pass,mia@example.org,ADMIN,root\n"
        "noah,Noah Lee,Str0ng#Pass,noah@example.org,,root\n",
    )
    second_result = tmp_path / "second-result.csv"
    again = cli("push", fixed, "--wait", "--result", second_result)
    assert again.returncode == 0, again.stderr
    assert "Every row was imported." in again.stdout
    assert outcomes(second_result.read_text()) == [("2", "unchanged"), ("3", "created")]

    # The first import's result, later, by its reference: the same file, on stdout.
    reference = REFERENCE.findall(done.stdout)[0]
    download = cli("imports", "download", reference)
    assert download.returncode == 0, download.stderr
    assert download.stdout == result


def test_push_without_wait_prints_the_reference_and_takes_options(
    cli: Cli, server: LoadbayServer, tmp_path: Path
) -> None:
    users = write(tmp_path, HEADER + "olga,Olga Ivanova,Str0ng#Pass,olga@example.org,,root\n")
    secret = cli.credentials.client_secret
    options = ["--url", server.url, "--client-id", cli.credentials.client_id, "--client-secret", secret]
    done = cli("push", users, *options, LOADBAY_URL="", LOADBAY_CLIENT_ID="", LOADBAY_CLIENT_SECRET="")

    assert done.returncode == 0, done.stderr
    reference = done.stdout.strip()
    assert REFERENCE.fullmatch(reference)
    assert secret not in done.stdout + done.stderr
    detail = cli.json("imports", "show", reference, "--wait")
    assert detail["status"] == "processed"
    assert detail["fileName"] == "users.csv"
    assert detail["counts"] == counts(created=1)


def test_dry_run_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    users = write(
        tmp_path,
        HEADER + "ava,Ava Stone,Str0ng#Pass,ava@example.org,,root\nliam,Liam Fox,Str0ng#Pass,liam@,,root\n",
    )
    dry = cli.json("push", users, "--dry-run", code=1)
    assert dry["dryRun"] is True
    assert dry["counts"] == counts(created=1, failed=1)

    real = cli.json("push", users, "--wait", code=1)
    # ava is still new: the dry run wrote nothing.
    assert real["counts"] == counts(created=1, failed=1)
    assert real["messagePage"]["items"] == [
        {
            "file": None,
            "line": 3,
            "column": "user_email",
            "code": "invalid_format",
            "severity": "error",
            "message": "is not a valid e-mail address",
        }
    ]


def test_push_twice_imports_once_unless_told_not_to(cli: Cli, tmp_path: Path) -> None:
    users = write(tmp_path, HEADER + "rhea,Rhea Moon,Str0ng#Pass,rhea@example.org,,root\n", name="rhea.csv")
    first = cli("push", users).stdout.strip()
    # The nightly job run twice: the same file and options, the same import, and it says so.
    again = cli("push", users)
    assert again.stdout.strip() == first
    assert "was pushed with the same options in the last 24 hours" in again.stderr
    assert "--no-idempotency-key" in again.stderr
    other = cli("push", users, "--no-idempotency-key").stdout.strip()
    assert REFERENCE.fullmatch(other)
    assert other != first


def test_delete_the_files_of_an_ended_import(cli: Cli, tmp_path: Path) -> None:
    users = write(tmp_path, HEADER + "ines,Ines Gold,Str0ng#Pass,ines@example.org,,root\n", name="ines.csv")
    reference = cli.json("push", users, "--wait")["referenceId"]
    deleted = cli.json("imports", "delete", reference)
    assert deleted["filesDeletedAt"] is not None
    assert deleted["counts"]["created"] == 1
    gone = cli("imports", "download", reference)
    assert gone.returncode == 3
    assert "was deleted on" in gone.stderr


def test_push_sync_deactivates_what_the_file_left_out_within_the_threshold(cli: Cli, tmp_path: Path) -> None:
    groups = "group_name,group_organizationId\n" + "".join(f"sync-{n},root\n" for n in range(10))
    assert cli("push", write(tmp_path, groups, "groups.csv"), "--wait").returncode == 0
    # One of ten left out: within the default 10%.
    done = cli("push", write(tmp_path, groups.replace("sync-0,root\n", ""), "full.csv"), "--sync", "--wait")
    assert done.returncode == 0, done.stderr
    assert re.search(r"mode +│ partial, full sync \(change threshold 10%\)", done.stdout)
    assert re.search(r"deactivated +│ 1 ", done.stdout)
    # Half left out: refused as a whole, nothing written.
    half = write(
        tmp_path, "group_name,group_organizationId\n" + "".join(f"sync-{n},root\n" for n in range(5, 10))
    )
    done = cli("push", half, "--sync", "--wait")
    assert done.returncode == 2, done.stderr
    assert "mode=sync would deactivate 4 of the tenant's 9 active groups (44.4%)" in done.stdout
    done = cli("push", half, "--change-threshold", "50", "--wait")
    assert done.returncode == 3
    assert "--change-threshold applies to a full sync only" in done.stderr
    detail = cli.json("push", half, "--sync", "--change-threshold", "50", "--wait")
    assert (detail["counts"]["deactivated"], detail["changeThreshold"]) == (4, 50.0)


def test_push_of_a_partial_update_file(cli: Cli, tmp_path: Path) -> None:
    cli.json("push", write(tmp_path, HEADER + "noor,Noor Ali,Str0ng#Pass,noor@example.org,,root\n"), "--wait")
    partial = write(tmp_path, "user_username,user_active\nnoor,0\nnew.one,TRUE\n", name="partial.csv")
    done = cli.json("push", partial, "--wait", code=1)
    # noor is updated with a warning for the 0; new.one cannot be created without a password.
    assert done["importType"] == "users"
    assert done["counts"] == counts(updated=1, failed=1)
    assert [(m["line"], m["severity"], m["code"]) for m in done["messagePage"]["items"]] == [
        (2, "warning", "boolean_number"),
        (3, "error", "required_on_create"),
        (3, "error", "required_on_create"),
    ]


def test_a_warning_is_marked_as_one_in_the_table(cli: Cli, tmp_path: Path) -> None:
    cli.json("push", write(tmp_path, HEADER + "wren,Wren Ito,Str0ng#Pass,wren@example.org,,root\n"), "--wait")
    done = cli("push", write(tmp_path, "user_username,user_active\nwren,0\n", name="active.csv"), "--wait")
    # Written with a warning: not a failure, and the table says which it is.
    assert done.returncode == 0, done.stderr
    assert re.search(r"┃ line +┃ severity +┃ column +┃ message", done.stdout)
    assert re.search(r"2 +│ warning +│ user_active +│ '0' read as FALSE; write TRUE or FALSE", done.stdout)
    assert not re.search(r"│ error +│", done.stdout)
    assert re.search(r"updated +│ 1 ", done.stdout)


@pytest.fixture(scope="module")
def payments_only(server: LoadbayServer) -> dict[str, str]:
    credentials = add_client(server, scopes=("payments",))
    return {"LOADBAY_CLIENT_ID": credentials.client_id, "LOADBAY_CLIENT_SECRET": credentials.client_secret}


UNKNOWN = "00000000-0000-4000-8000-000000000000"
VALID = HEADER + "kai,Kai Berg,Str0ng#Pass,kai@example.org,,root\n"

# name: (arguments, environment, exit code, what it says); {users} is a valid users file.
EXIT_CODES: dict[str, tuple[list[str], dict[str, str], int, str]] = {
    "no-template": (["push", "{no_template}", "--wait"], {}, 2, "the header matches no import template"),
    "type-mismatch": (
        ["push", "{users}", "--type", "groups", "--abort-on-error", "--wait"],
        {},
        2,
        "the header does not fit groups",
    ),
    "not-csv": (
        ["push", "{not_csv}"],
        {},
        2,
        "Invalid file type: only .csv files and .zip bundles are accepted",
    ),
    "too-large": (
        ["push", "{too_large}"],
        {},
        2,
        "File too large: 50,080 bytes, and the server takes at most 40,000.",
    ),
    "wrong-secret": (
        ["push", "{users}"],
        {"LOADBAY_CLIENT_SECRET": "wrong"},
        3,
        "Unknown client or wrong secret. (HTTP 401)",
    ),
    "no-secret": (
        ["push", "{users}"],
        {"LOADBAY_CLIENT_SECRET": ""},
        3,
        "Missing credentials: give --client-secret",
    ),
    "missing-scope": (["push", "{users}"], {"payments": ""}, 3, "Insufficient scope (HTTP 403)"),
    "unknown-ref": (
        ["imports", "show", UNKNOWN],
        {},
        3,
        "Reference ID not found. File not found in pending bucket. (HTTP 404)",
    ),
    "unreachable": (
        ["imports", "list"],
        {"LOADBAY_URL": "http://127.0.0.1:{port}"},
        3,
        "Cannot reach the Loadbay server",
    ),
    "unknown-option": (["push", "{users}", "--wait-for-it"], {}, 3, "No such option"),
}


def test_exit_codes(cli: Cli, tmp_path: Path, payments_only: dict[str, str]) -> None:
    files = {
        "users": write(tmp_path, VALID),
        "no_template": write(tmp_path, "foo,bar\n1,2\n", "other.csv"),
        "not_csv": write(tmp_path, VALID, "users.txt"),
        "too_large": write(tmp_path, HEADER + "x" * 50_000 + "\n", "big.csv"),
    }
    values = {"port": str(free_port()), **{name: str(path) for name, path in files.items()}}

    def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        if "payments" in env:
            env = payments_only
        return cli(*(arg.format(**values) for arg in args), **{k: v.format(**values) for k, v in env.items()})

    # Concurrently: each run is mostly the command's start-up.
    with ThreadPoolExecutor(len(EXIT_CODES)) as pool:
        runs = {name: pool.submit(run, args, env) for name, (args, env, _, _) in EXIT_CODES.items()}
    done = {name: future.result() for name, future in runs.items()}

    cli.check_runs(done, {name: (code, expected) for name, (_, _, code, expected) in EXIT_CODES.items()})
    # Errors are one line on stderr, and nothing on stdout that a script would take for a result.
    for name in (
        "not-csv",
        "too-large",
        "wrong-secret",
        "no-secret",
        "missing-scope",
        "unknown-ref",
        "unreachable",
    ):
        assert done[name].stdout == "", name
        # After a progress bar, if the upload had started.
        assert re.search(r"(\A|\n)error: [^\n]+\n\Z", done[name].stderr), done[name].stderr
    assert "abort on error" in done["type-mismatch"].stdout


def test_list_and_every_message_of_a_large_import(cli: Cli, tmp_path: Path) -> None:
    rows = "".join(f"bulk{n},Bulk,Str0ng#Pass,bulk{n}@,,root\n" for n in range(600))
    done = cli("push", write(tmp_path, HEADER + rows, "bulk.csv"), "--wait", "--messages", "5")
    assert done.returncode == 1, done.stderr
    reference = REFERENCE.findall(done.stdout)[0]
    assert f"595 more message(s): loadbay imports show {reference} --all" in done.stdout

    detail = cli.json("imports", "show", reference, "--all", code=1)
    lines = [item["line"] for item in detail["messagePage"]["items"]]
    assert lines == list(range(2, 602))
    assert detail["messagePage"]["nextCursor"] is None

    listed = cli.json("imports", "list", "--type", "users", "--status", "processed", "--limit", "1")
    assert [item["referenceId"] for item in listed] == [reference]
    table = cli("imports", "list")
    assert table.returncode == 0, table.stderr
    assert re.search(rf"{reference} +│ processed +│ users +│ bulk.csv +│ 600 failed", table.stdout)


def test_without_loadbay_url_the_cli_follows_the_servers_host_and_port(
    cli: Cli, server: LoadbayServer
) -> None:
    # The same settings that moved the server's port: no LOADBAY_URL at all.
    env = cli.env(LOADBAY_PORT=str(server.port))
    del env["LOADBAY_URL"]
    done = subprocess.run(
        [LOADBAY, "imports", "list", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("[")


def test_a_url_that_is_not_loadbay_says_so(cli: Cli, server: LoadbayServer) -> None:
    done = cli("imports", "list", LOADBAY_URL=f"{server.url}/not-here")
    assert done.returncode == 3
    assert f"is {server.url}/not-here the Loadbay server? check --url or LOADBAY_URL" in done.stderr
    assert "client-id" not in done.stderr
