"""``loadbay push`` and ``loadbay imports list|show|download``: a Loadbay server from a script.

``push`` sends a rostering file to the upload API, or with ``--company`` a payments file to the
batches API (``payments.py``); either way it then follows the import through the imports API. A
OneRoster bundle (a .zip of CSV files with manifest.csv) goes to the upload API as one import.

Exit codes (``outcome.ExitCode``): 0 done and clean, 1 processed with failed rows, 2 the import
failed or the file was refused, 3 anything about the command, the credentials or the connection.
Tables and JSON go to stdout; progress bars and errors go to stderr, so ``> out.txt`` stays clean.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from loadbay.client.errors import UsageError
from loadbay.client.outcome import exit_code_of
from loadbay.client.render import imports_table, verdict
from loadbay.client.schemas import Import
from loadbay.client.terminal import (
    DEFAULT_URL,
    MAX_LIST_PAGE,
    AsJson,
    ClientCommand,
    ClientGroup,
    ClientId,
    ClientSecret,
    MessageCount,
    Quiet,
    Reference,
    Url,
    byte_bar,
    follow,
    note,
    open_client,
    out,
    print_json,
    report,
    save_result,
)
from loadbay.client.webhooks import webhooks_app

if TYPE_CHECKING:
    from loadbay.client.payments import PushedBatch


def push(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="The CSV file to import, or a OneRoster 1.1 bundle: a .zip of CSV files with "
            "manifest.csv, imported as one import in the manifest's order.",
            show_default=False,
        ),
    ],
    url: Url = DEFAULT_URL,
    client_id: ClientId = None,
    client_secret: ClientSecret = None,
    import_type: Annotated[
        str | None,
        typer.Option(
            "--type",
            help="The template the file must fit (users, Transactions, ...). Default: its header. "
            "Not for a bundle, whose manifest.csv names each file's.",
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
    sync: Annotated[
        bool,
        typer.Option(
            "--sync",
            help="Full sync: the file is the complete list, so the tenant's rows of its template "
            "that it leaves out are deactivated (users, groups, organizations) or removed (links, "
            "sessions). Not for a bundle: its manifest.csv declares each file bulk (synced) or delta.",
        ),
    ] = False,
    change_threshold: Annotated[
        float | None,
        typer.Option(
            "--change-threshold",
            metavar="PERCENT",
            min=0,
            max=100,
            help="With --sync, or for a bundle's bulk files: fail and write nothing if more than "
            "this share of the tenant's rows would go. Default on the server: 10.",
            show_default=False,
        ),
    ] = None,
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
    idempotent: Annotated[
        bool,
        typer.Option(
            "--idempotency-key/--no-idempotency-key",
            help="Send a key made of the file's hash and the options, so the same push retried "
            "within 24 h imports once.",
        ),
    ] = True,
    as_json: AsJson = False,
    quiet: Quiet = False,
) -> None:
    """Upload a CSV file or a OneRoster bundle (.zip) for import; with --wait, follow it and exit 0,
    1 (failed rows) or 2 (failed)."""
    from loadbay.client.payments import check_batch_options, push_batch

    check_batch_options(
        company=company, project=project, dry_run=dry_run, abort_on_error=abort_on_error, sync=sync
    )
    if not file.is_file():
        raise UsageError(f"{file} is not a file." if file.exists() else f"{file}: no such file.")
    bundle = is_bundle_file(file)
    if bundle:
        check_bundle_options(import_type=import_type, sync=sync, company=company)
    elif change_threshold is not None and not sync:
        raise UsageError("--change-threshold applies to a full sync only: add --sync, or leave it out.")
    if result is not None and not result.resolve().parent.is_dir():
        # Found now, not after the upload and the wait.
        raise UsageError(f"Cannot write {result}: no such folder {result.parent}.")
    options = {"importType": import_type} if import_type else {}
    if dry_run:
        options["dryRun"] = "true"
    if abort_on_error:
        options["onError"] = "abort"
    if sync:
        options["mode"] = "sync"
    if change_threshold is not None:
        options["changeThreshold"] = f"{change_threshold:g}"
    batch: PushedBatch | None = None
    with open_client(url, client_id, client_secret) as client:
        with byte_bar(f"uploading {file.name}", quiet=quiet) as advance:
            try:
                if company is None:
                    key = client.push_key(file, options) if idempotent else None
                    reference_id = client.upload(
                        file, options=options, on_progress=advance, idempotency_key=key, bundle=bundle
                    )
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
        if company is None and client.last_upload_replayed:
            note(
                quiet,
                f"{file.name} was pushed with the same options in the last 24 hours: this is that "
                "import, and nothing was imported again; push with --no-idempotency-key to import "
                "it once more (after fixing what it refers to, say)",
            )
        if batch is not None:
            where = f"company {batch.target.company_name}, project {batch.target.project_name}"
            note(quiet, f"{batch.import_type} file for {where}: batch {batch.batch_id}")
        if not (wait or dry_run or result is not None):
            if as_json:
                print_json({"referenceId": reference_id})
            else:
                typer.echo(reference_id)
            note(quiet, f"accepted; follow it with: loadbay imports show {reference_id} --wait")
            return
        note(quiet, f"accepted as {reference_id}")
        detail = follow(client, reference_id, quiet=quiet, message_limit=max(message_count, 1), bundle=bundle)
        if result is not None:
            save_result(client, reference_id, result, quiet=quiet)
    if as_json:
        print_json(detail)
    else:
        report(detail, messages=detail["messagePage"]["items"][:message_count], result=result)
    raise typer.Exit(exit_code_of(detail))


imports_app = typer.Typer(
    cls=ClientGroup,
    help="Your tenant's imports: list, show with messages, cancel, delete the files of, download a result.",
    no_args_is_help=True,
)


@imports_app.command("list", cls=ClientCommand)
def imports_list(
    url: Url = DEFAULT_URL,
    client_id: ClientId = None,
    client_secret: ClientSecret = None,
    status: Annotated[
        str | None, typer.Option(help="Only pending, processed, failed or cancelled imports.")
    ] = None,
    import_type: Annotated[str | None, typer.Option("--type", help="Only imports of this template.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many imports, newest first.")] = 20,
    as_json: AsJson = False,
) -> None:
    """List imports, newest first."""
    items: list[Import] = []
    cursor: str | None = None
    with open_client(url, client_id, client_secret) as client:
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
        print_json(items)
    elif items:
        out.print(imports_table(items))
    else:
        note(False, "no imports")


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
    with open_client(url, client_id, client_secret) as client:
        if wait:
            detail = follow(client, reference_id, quiet=quiet, message_limit=max(message_count, 1))
        else:
            detail = client.import_detail(reference_id, limit=max(message_count, 1))
        messages = detail["messagePage"]["items"][:message_count]
        if show_all and detail["messagePage"]["nextCursor"] is not None:
            messages = list(client.all_messages(reference_id))
    if as_json:
        if show_all:
            detail["messagePage"] = {"items": messages, "nextCursor": None}
        print_json(detail)
    else:
        report(detail, messages=messages, result=None)
    raise typer.Exit(exit_code_of(detail))


@imports_app.command("cancel", cls=ClientCommand)
def imports_cancel(
    reference_id: Reference,
    url: Url = DEFAULT_URL,
    client_id: ClientId = None,
    client_secret: ClientSecret = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait until a running import has stopped.")] = False,
    as_json: AsJson = False,
    quiet: Quiet = False,
) -> None:
    """Cancel a pending import. A running one stops after the batch it is writing and keeps the
    rows it committed. Exits 2 once cancelled, 0 while it is still stopping."""
    with open_client(url, client_id, client_secret) as client:
        item = client.cancel(reference_id)
        if wait and item["status"] == "pending":
            item = follow(client, reference_id, quiet=quiet, message_limit=1)
    if as_json:
        print_json(item)
    else:
        note(quiet, verdict(item))
    raise typer.Exit(exit_code_of(item))


@imports_app.command("delete", cls=ClientCommand)
def imports_delete(
    reference_id: Reference,
    url: Url = DEFAULT_URL,
    client_id: ClientId = None,
    client_secret: ClientSecret = None,
    as_json: AsJson = False,
    quiet: Quiet = False,
) -> None:
    """Delete an ended import's stored upload, result file and messages; the imported rows stay."""
    with open_client(url, client_id, client_secret) as client:
        item = client.delete(reference_id)
    if as_json:
        print_json(item)
    else:
        note(quiet, f"deleted the files of {reference_id}; its rows and counts stay")


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
    """Download a finished import's result file (CSV: line, outcome, key, messages, the row); a
    bundle's is a zip of one such CSV per file (users-result.csv, ...)."""
    with open_client(url, client_id, client_secret) as client:
        if output == "-":
            client.download(reference_id, sys.stdout.buffer)
            sys.stdout.buffer.flush()
            return
        size = save_result(client, reference_id, Path(output), quiet=quiet)
    note(quiet, f"wrote {output} ({size:,} bytes)")


def is_bundle_file(path: Path) -> bool:
    """Whether ``path`` is a bundle: a zip, named .zip or (as some exports are) .csv. The server
    knows a bundle by its content too; a workbook (.xlsx, a zip as well) is left to it to refuse."""
    from loadbay.importing.bundle import is_zip

    if path.suffix.lower() not in (".zip", ".csv"):
        return False
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError as exc:
        raise UsageError(f"Cannot read {path}: {exc.strerror or exc}") from None
    return is_zip(head)


def check_bundle_options(*, import_type: str | None, sync: bool, company: str | None) -> None:
    """Refuse, before the upload, the options a bundle's manifest decides (the server would too)."""
    if import_type is not None:
        raise UsageError("--type does not apply to a bundle: its manifest.csv names each file's type.")
    if sync:
        raise UsageError(
            "--sync does not apply to a bundle: its manifest.csv declares each file bulk (the whole "
            "truth, fully synced within --change-threshold) or delta."
        )
    if company is not None:
        raise UsageError("A bundle is a rostering upload: --company is for a payments file.")


def add_client_commands(app: typer.Typer) -> None:
    """Register ``push``, ``imports`` and ``webhooks`` on the ``loadbay`` command."""
    app.command("push", cls=ClientCommand)(push)
    app.add_typer(imports_app, name="imports")
    app.add_typer(webhooks_app, name="webhooks")
