"""What the client commands share: the consoles, exit codes, options, and following an import.

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
from loadbay.client.outcome import ExitCode
from loadbay.client.progress import ImportProgress
from loadbay.client.render import (
    byte_progress,
    files_table,
    is_bundle,
    messages_table,
    summary_table,
    verdict,
)
from loadbay.client.schemas import Import, ImportDetail, Message

if TYPE_CHECKING:
    from loadbay.client.api import LoadbayClient


def _server_url() -> str:
    """Without ``LOADBAY_URL``, the server these same settings start: its public URL, or its
    host and port (``LOADBAY_HOST``, ``LOADBAY_PORT``), so moving the server's port moves the CLI."""
    public = os.environ.get("LOADBAY_PUBLIC_URL", "").strip()
    if public:
        return public.rstrip("/")
    host = os.environ.get("LOADBAY_HOST", "").strip() or "127.0.0.1"
    if host in ("0.0.0.0", "::"):  # noqa: S104 - the server listens everywhere: reach it here
        host = "127.0.0.1"
    port = os.environ.get("LOADBAY_PORT", "").strip() or "8000"
    return f"http://{host}:{port}"


DEFAULT_URL = _server_url()
MAX_LIST_PAGE = 200

# Piped into a file, a table's rows stay whole up to 160 columns, rather than wrapped at 80.
out = Console(highlight=False, width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160)
err = Console(stderr=True, highlight=False)


def print_error(message: str) -> None:
    # soft_wrap: one line on stderr whatever the terminal's width, for logs and grep.
    err.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)


@contextmanager
def exit_codes() -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        print_error(str(exc))
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
        print_error(f"unexpected {type(exc).__name__}: {exc}")
        raise typer.Exit(ExitCode.USAGE) from None


class _ClientExitCodes:
    """Usage errors exit 3, and client errors print one line and exit their own code."""

    # The super() calls reach TyperCommand's or TyperGroup's methods, next in the MRO.
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        with exit_codes():
            return super().parse_args(ctx, args)  # type: ignore[misc,no-any-return]

    def invoke(self, ctx: Any) -> Any:
        with exit_codes():
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
def open_client(url: str, client_id: str | None, client_secret: str | None) -> Iterator[LoadbayClient]:
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


def note(quiet: bool, message: str) -> None:
    if not quiet:
        err.print(message, soft_wrap=True, markup=False)


def print_json(payload: object) -> None:
    typer.echo(json.dumps(payload, indent=2))


def follow(
    client: LoadbayClient, reference_id: str, *, quiet: bool, message_limit: int, bundle: bool = False
) -> ImportDetail:
    """Wait for the import with a bar of its lines, or a line per file of a bundle (``bundle``: the
    file pushed is one); Ctrl-C stops the wait, not the import."""
    from loadbay.client.waiting import wait_finished

    with ImportProgress(err, quiet=quiet, bundle=bundle) as progress:
        try:
            return wait_finished(client, reference_id, on_update=progress.update, message_limit=message_limit)
        except KeyboardInterrupt:
            progress.stop()
            print_error(f"stopped waiting; the import goes on: loadbay imports show {reference_id} --wait")
            raise typer.Exit(ExitCode.INTERRUPTED) from None


@contextmanager
def byte_bar(description: str, *, quiet: bool) -> Iterator[Callable[[int, int | None], None]]:
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


def save_result(client: LoadbayClient, reference_id: str, path: Path, *, quiet: bool) -> int:
    """Stream the result file to ``path``; a partial download never takes the name."""
    partial = path.with_name(f".{path.name}.part")
    try:
        with partial.open("wb") as handle, byte_bar(f"downloading {path.name}", quiet=quiet) as advance:
            size = client.download(reference_id, handle, on_progress=advance)
            advance(size, size)
        partial.replace(path)
    except OSError as exc:
        raise UsageError(f"Cannot write {path}: {exc.strerror or exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    return size


def report(detail: ImportDetail, *, messages: list[Message], result: Path | None) -> None:
    """The summary, the messages listed, and what to run to see the rest."""
    reference_id = detail["referenceId"]
    out.print(summary_table(detail))
    if files := detail.get("files"):
        out.print(files_table(files))
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
            f"{result_hint(detail)}: loadbay imports download {reference_id} -o {result_name(detail)}",
            markup=False,
            soft_wrap=True,
        )


def result_hint(item: Import) -> str:
    if is_bundle(item):
        return "Result zip (a result CSV per file of the bundle, every row's outcome)"
    return "Result file (every row's outcome)"


def result_name(item: Import) -> str:
    return "result.zip" if is_bundle(item) else "result.csv"
