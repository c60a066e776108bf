"""``loadbay push`` and ``loadbay imports list|show|download``: a Loadbay server from a script.

``push`` sends a rostering file to the upload API, or with ``--company`` a payments file to the
batches API (``payments.py``); either way it then follows the import through the imports API.

Exit codes (``outcome.ExitCode``): 0 done and clean, 1 processed with failed rows, 2 the import
failed or the file was refused, 3 anything about the command, the credentials or the connection.
Tables and JSON go to stdout; progress bars and errors go to stderr, so ``> out.txt`` stays clean.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperCommand, TyperGroup

from loadbay.client.errors import ClientError, UsageError
from loadbay.client.outcome import ExitCode, exit_code_of
from loadbay.client.render import (
    byte_progress,
    imports_table,
    line_progress,
    messages_table,
    summary_table,
    verdict,
)
from loadbay.client.schemas import Import, ImportDetail, Message

if TYPE_CHECKING:
    from loadbay.client.api import LoadbayClient
    from loadbay.client.payments import PushedBatch

DEFAULT_URL = "http://127.0.0.1:8000"
MAX_LIST_PAGE = 200

# Piped into a file, a table's rows stay whole up to 160 columns, rather than wrapped at 80.
out = Console(highlight=False, width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160)
err = Console(stderr=True, highlight=False)


def _error(message: str) -> None:
    # soft_wrap: one line on stderr whatever the terminal's width, for logs and grep.
    err.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)


@contextmanager
def _exit_codes() -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        _error(str(exc))
        raise typer.Exit(exc.exit_code) from None
    except typer.TyperException as exc:
        # Click's usage errors exit 2, which here means "the import failed".
        exc.exit_code = ExitCode.USAGE
        raise
    except (typer.Exit, typer.Abort, BrokenPipeError):
        raise
    except Exception as exc:
        # A bug of ours: the traceback for the report, and still an exit code a script expects.
        traceback.print_exc()
        _error(f"unexpected {type(exc).__name__}: {exc}")
        raise typer.Exit(ExitCode.USAGE) from None


class _ClientExitCodes:
    """Usage errors exit 3, and client errors print one line and exit their own code."""

    # The super() calls reach TyperCommand's or TyperGroup's methods, next in the MRO.
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        with _exit_codes():
            return super().parse_args(ctx, args)  # type: ignore[misc,no-any-return]

    def invoke(self, ctx: Any) -> Any:
        with _exit_codes():
            return super().invoke(ctx)  # type: ignore[misc]


class ClientCommand(_ClientExitCodes, TyperCommand):
    """``loadbay push`` and the ``imports`` subcommands."""


class ClientGroup(_ClientExitCodes, TyperGroup):
    """``loadbay imports``, so that its own usage errors exit 3 as well."""


Url = Annotated[
    str, typer.Option("--url", envvar="LOADBAY_URL", help="The Loadbay server.", show_envvar=True)
]
ClientId = Annotated[
    str | None,
    typer.Option("--client-id", envvar="LOADBAY_CLIENT_ID", help="API client id.", show_default=False),
]
ClientSecret = Annotated[
    str | None,
    typer.Option(
        "--client-secret",
        envvar="LOADBAY_CLIENT_SECRET",
        help="API client secret; prefer the variable, which stays out of the shell history.",
        show_default=False,
    ),
]
Reference = Annotated[str, typer.Argument(metavar="REF", help="The import's reference id.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON on stdout, for scripts.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars and no notes on stderr.")]
MessageCount = Annotated[
    int, typer.Option("--messages", min=0, help="How many messages to list after the summary.")
]


@contextmanager
def _client(url: str, client_id: str | None, client_secret: str | None) -> Iterator[LoadbayClient]:
    # httpx is imported here, not at the top: every other loadbay command would pay for it.
    from loadbay.client.api import LoadbayClient

    if not client_id or not client_secret:
        missing = [
            f"{option} ({variable})"
            for option, variable, value in (
                ("--client-id", "LOADBAY_CLIENT_ID", client_id),
                ("--client-secret", "LOADBAY_CLIENT_SECRET", client_secret),
            )
            if not value
        ]
        raise UsageError(f"Missing credentials: give {' and '.join(missing)}.")
    with LoadbayClient(url, client_id=client_id, client_secret=client_secret) as client:
        yield client


def _note(quiet: bool, message: str) -> None:
    if not quiet:
        err.print(message, soft_wrap=True, markup=False)


def _print_json(payload: object) -> None:
    typer.echo(json.dumps(payload, indent=2))


def _follow(client: LoadbayClient, reference_id: str, *, quiet: bool, message_limit: int) -> ImportDetail:
    """Wait for the import with a bar of its lines; Ctrl-C stops the wait, not the import."""
    from loadbay.client.waiting import wait_finished

    with line_progress(err, disable=quiet) as progress:
        task = progress.add_task("importing", total=None)

        def update(detail: ImportDetail) -> None:
            progress.update(
                task,
                completed=detail["fileLine"],
                total=detail["totalLines"],
                description=f"importing ({detail['importType']})" if detail["importType"] else "importing",
            )

        try:
            return wait_finished(client, reference_id, on_update=update, message_limit=message_limit)
        except KeyboardInterrupt:
            progress.stop()
            _error(f"stopped waiting; the import goes on: loadbay imports show {reference_id} --wait")
            raise typer.Exit(ExitCode.INTERRUPTED) from None


@contextmanager
def _byte_bar(description: str, *, quiet: bool) -> Iterator[Callable[[int, int | None], None]]:
    """A bytes bar that appears with the first byte: a request refused first shows no empty bar."""
    progress = byte_progress(err, disable=quiet)
    task = progress.add_task(description, total=None)
    started = False

    def advance(done: int, total: int | None) -> None:
        nonlocal started
        progress.update(task, completed=done, total=total)
        if not started:
            progress.start()
            started = True

    try:
        yield advance
    finally:
        if started:
            progress.stop()


def _save_result(client: LoadbayClient, reference_id: str, path: Path, *, quiet: bool) -> int:
    """Stream the result file to ``path``; a partial download never takes the name."""
    partial = path.with_name(f".{path.name}.part")
    try:
        with partial.open("wb") as handle, _byte_bar(f"downloading {path.name}", quiet=quiet) as advance:
            size = client.download(reference_id, handle, on_progress=advance)
            advance(size, size)
        partial.replace(path)
    except OSError as exc:
        raise UsageError(f"Cannot write {path}: {exc.strerror or exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    return size


def _report(detail: ImportDetail, *, messages: list[Message], result: Path | None) -> None:
    """The summary, the messages listed, and what to run to see the rest."""
    reference_id = detail["referenceId"]
    out.print(summary_table(detail))
    if messages:
        out.print(messages_table(messages))
    out.print(verdict(detail), markup=False, soft_wrap=True)
    hidden = detail["messageCount"] - len(messages)
    if hidden > 0:
        out.print(
            f"{hidden} more message(s): loadbay imports show {reference_id} --all",
            markup=False,
            soft_wrap=True,
        )
    if result is not None:
        out.print(f"Result file: {result}", markup=False, soft_wrap=True)
    elif detail["status"] != "pending":
        out.print(
            f"Result file (every row's outcome): loadbay imports download {reference_id} -o result.csv",
            markup=False,
            soft_wrap=True,
        )


def push(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The CSV file to import.", show_default=False)],
    url: Url = DEFAULT_URL,
    client_id: ClientId = None,
    client_secret: ClientSecret = None,
    import_type: Annotated[
        str | None,
        typer.Option(
            "--type",
            help="The template the file must fit (users, Transactions, ...). Default: its header.",
        ),
    ] = None,
    company: Annotated[
        str | None,
        typer.Option(
            "--company",
            help="A payments file: the company (id or exact name) to import it for, through the "
            "batches API. Needs scope payments.",
            show_default=False,
        ),
    ] = None,
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            help="The company's project (id or exact name); not needed if it has only one.",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row against what is stored, write nothing. Waits.")
    ] = False,
    abort_on_error: Annotated[
        bool, typer.Option("--abort-on-error", help="All or nothing: if any row fails, write none.")
    ] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="Follow the import to its end, then summarise it.")
    ] = False,
    result: Annotated[
        Path | None,
        typer.Option(
            "--result", help="Write the result file (every row's outcome) here. Waits.", dir_okay=False
        ),
    ] = None,
    message_count: MessageCount = 20,
    as_json: AsJson = False,
    quiet: Quiet = False,
) -> None:
    """Upload a CSV file for import; with --wait, follow it and exit 0, 1 (failed rows) or 2 (failed)."""
    from loadbay.client.payments import check_batch_options, push_batch

    check_batch_options(company=company, project=project, dry_run=dry_run, abort_on_error=abort_on_error)
    if not file.is_file():
        raise UsageError(f"{file} is not a file." if file.exists() else f"{file}: no such file.")
    if result is not None and not result.resolve().parent.is_dir():
        # Found now, not after the upload and the wait.
        raise UsageError(f"Cannot write {result}: no such folder {result.parent}.")
    options = {"importType": import_type} if import_type else {}
    if dry_run:
        options["dryRun"] = "true"
    if abort_on_error:
        options["onError"] = "abort"
    batch: PushedBatch | None = None
    with _client(url, client_id, client_secret) as client:
        with _byte_bar(f"uploading {file.name}", quiet=quiet) as advance:
            try:
                if company is None:
                    reference_id = client.upload(file, options=options, on_progress=advance)
                else:
                    batch = push_batch(
                        client,
                        file,
                        company=company,
                        project=project,
                        import_type=import_type,
                        on_progress=advance,
                    )
                    reference_id = batch.reference_id
            except OSError as exc:
                raise UsageError(f"Cannot read {file}: {exc.strerror or exc}") from None
        if batch is not None:
            where = f"company {batch.target.company_name}, project {batch.target.project_name}"
            _note(quiet, f"{batch.import_type} file for {where}: batch {batch.batch_id}")
        if not (wait or dry_run or result is not None):
            if as_json:
                _print_json({"referenceId": reference_id})
            else:
                typer.echo(reference_id)
            _note(quiet, f"accepted; follow it with: loadbay imports show {reference_id} --wait")
            return
        _note(quiet, f"accepted as {reference_id}")
        detail = _follow(client, reference_id, quiet=quiet, message_limit=max(message_count, 1))
        if result is not None:
            _save_result(client, reference_id, result, quiet=quiet)
    if as_json:
        _print_json(detail)
    else:
        _report(detail, messages=detail["messagePage"]["items"][:message_count], result=result)
    raise typer.Exit(exit_code_of(detail))


imports_app = typer.Typer(
    cls=ClientGroup,
    help="Your tenant's imports: list them, show one with its messages, download a result file.",
    no_args_is_help=True,
)


@imports_app.command("list", cls=ClientCommand)
def imports_list(
    url: Url = DEFAULT_URL,
    client_id: ClientId = None,
    client_secret: ClientSecret = None,
    status: Annotated[str | None, typer.Option(help="Only pending, processed or failed imports.")] = None,
    import_type: Annotated[str | None, typer.Option("--type", help="Only imports of this template.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many imports, newest first.")] = 20,
    as_json: AsJson = False,
) -> None:
    """List imports, newest first."""
    items: list[Import] = []
    cursor: str | None = None
    with _client(url, client_id, client_secret) as client:
        while len(items) < limit:
            page = client.imports(
                status=status,
                import_type=import_type,
                limit=min(MAX_LIST_PAGE, limit - len(items)),
                cursor=cursor,
            )
            items.extend(page["items"])
            cursor = page["nextCursor"]
            if cursor is None:
                break
    if as_json:
        _print_json(items)
    elif items:
        out.print(imports_table(items))
    else:
        _note(False, "no imports")


@imports_app.command("show", cls=ClientCommand)
def imports_show(
    reference_id: Reference,
    url: Url = DEFAULT_URL,
    client_id: ClientId = None,
    client_secret: ClientSecret = None,
    show_all: Annotated[bool, typer.Option("--all", help="List every message, however many.")] = False,
    message_count: MessageCount = 100,
    wait: Annotated[bool, typer.Option("--wait", help="Follow a pending import to its end first.")] = False,
    as_json: AsJson = False,
    quiet: Quiet = False,
) -> None:
    """One import: summary and messages. Exits 0, 1 (failed rows) or 2 (failed), like push --wait."""
    with _client(url, client_id, client_secret) as client:
        if wait:
            detail = _follow(client, reference_id, quiet=quiet, message_limit=max(message_count, 1))
        else:
            detail = client.import_detail(reference_id, limit=max(message_count, 1))
        messages = detail["messagePage"]["items"][:message_count]
        if show_all and detail["messagePage"]["nextCursor"] is not None:
            messages = list(client.all_messages(reference_id))
    if as_json:
        if show_all:
            detail["messagePage"] = {"items": messages, "nextCursor": None}
        _print_json(detail)
    else:
        _report(detail, messages=messages, result=None)
    raise typer.Exit(exit_code_of(detail))


@imports_app.command("download", cls=ClientCommand)
def imports_download(
    reference_id: Reference,
    url: Url = DEFAULT_URL,
    client_id: ClientId = None,
    client_secret: ClientSecret = None,
    output: Annotated[
        str, typer.Option("--output", "-o", help="Write the result file here; '-' is stdout.")
    ] = "-",
    quiet: Quiet = False,
) -> None:
    """Download a finished import's result file (CSV: line, outcome, key, messages, the row)."""
    with _client(url, client_id, client_secret) as client:
        if output == "-":
            client.download(reference_id, sys.stdout.buffer)
            sys.stdout.buffer.flush()
            return
        size = _save_result(client, reference_id, Path(output), quiet=quiet)
    _note(quiet, f"wrote {output} ({size:,} bytes)")


def add_client_commands(app: typer.Typer) -> None:
    """Register ``push`` and ``imports`` on the ``loadbay`` command."""
    app.command("push", cls=ClientCommand)(push)
    app.add_typer(imports_app, name="imports")
