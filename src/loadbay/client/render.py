"""Tables and progress bars of the client commands (rich); nothing here talks to the server."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TypedDict

from rich.console import Console
from rich.filesize import decimal
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Column, Table
from rich.text import Text

from loadbay.client.schemas import BundleFile, Counts, Import, Message

_STATUS_STYLE = {"pending": "yellow", "processed": "green", "failed": "bold red", "cancelled": "magenta"}
_FILE_STATUS_STYLE = {"pending": "dim", "running": "cyan", "done": "green"}
COUNT_NAMES = ("created", "updated", "unchanged", "failed", "deactivated", "removed")
_SEVERITY_STYLE = {"error": "red", "warning": "yellow"}


def byte_progress(console: Console, *, disable: bool = False) -> Progress:
    """A bar of bytes (upload or download); on a console that is not a terminal, only its last state."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        DownloadColumn(),
        console=console,
        disable=disable,
    )


def line_progress(console: Console, *, disable: bool = False) -> Progress:
    """A bar of the lines the server has handled (``fileLine`` of ``totalLines``)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("lines"),
        TimeElapsedColumn(),
        console=console,
        disable=disable,
    )


def files_progress(console: Console, *, disable: bool = False) -> Progress:
    """One line per file of a bundle: name, bulk or delta, status, lines read, counts so far."""
    return Progress(
        TextColumn("{task.description}"),
        TextColumn("{task.fields[mode]}"),
        TextColumn("{task.fields[status]}"),
        TextColumn("{task.fields[lines]}", justify="right"),
        TextColumn("{task.fields[counts]}"),
        console=console,
        disable=disable,
    )


class FileCells(TypedDict):
    """A bundle file's cells on its progress line (rich markup); its name is the description."""

    mode: str
    status: str
    lines: str
    counts: str


def file_fields(item: BundleFile) -> FileCells:
    status = item["status"]
    return {
        "mode": item["mode"],
        "status": f"[{_FILE_STATUS_STYLE.get(status, '')}]{escape(status)}[/]",
        "lines": f"{item['lines']:,} lines" if item["lines"] else "",
        "counts": escape(rows_text(item["counts"])) if any(item["counts"].values()) else "",
    }


def is_bundle(item: Import) -> bool:
    """Whether the import is of a bundle: its files are listed once a worker has opened it."""
    return item.get("files") is not None or item["importType"] == "oneroster"


def _seconds_between(start: str | None, end: str | None) -> float | None:
    if start is None or end is None:
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def mode(item: Import) -> str:
    """The import's options as a person reads them."""
    on_error = "abort on error (all or nothing)" if item["onError"] == "abort" else "partial"
    if any(f["mode"] == "bulk" for f in item.get("files") or []):
        on_error += f", bulk files fully synced (change threshold {item.get('changeThreshold'):g}%)"
    elif item.get("mode") == "sync":
        on_error += f", full sync (change threshold {item.get('changeThreshold'):g}%)"
    return f"dry run (nothing written), {on_error}" if item["dryRun"] else on_error


def status_text(status: str) -> Text:
    return Text(status, style=_STATUS_STYLE.get(status, ""))


def lines(item: Import) -> str:
    total = item["totalLines"]
    return f"{item['fileLine']}/{total}" if total is not None else str(item["fileLine"])


def summary_table(item: Import) -> Table:
    """One import at a glance: what, how, how far, with which outcome."""
    table = Table(show_header=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    counts = item["counts"]
    files = item.get("files")
    template = item["importType"] or "none detected"
    read = f"{lines(item)}, header included"
    if files is not None:
        template = f"{template} bundle of {len(files)} file(s)"
        read = f"{item['fileLine']} in {len(files)} file(s), headers included"
    rows: list[tuple[str, str | Text]] = [
        ("reference", item["referenceId"]),
        ("status", status_text(item["status"])),
        ("file", f"{item['fileName'] or '-'} ({decimal(item['sizeBytes'])})"),
        ("template", template),
        ("mode", mode(item)),
        ("lines", read),
        ("created", str(counts["created"])),
        ("updated", str(counts["updated"])),
        ("unchanged", str(counts["unchanged"])),
        ("failed", Text(str(counts["failed"]), style="red" if counts["failed"] else "")),
        *[(name, str(counts.get(name, 0))) for name in ("deactivated", "removed") if counts.get(name)],
        ("messages", str(item["messageCount"])),
        ("duration", _duration(_seconds_between(item["startedAt"], item["finishedAt"]))),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def verdict(item: Import) -> str:
    """What the outcome means for the person who pushed the file, in one sentence."""
    failed, dry = item["counts"]["failed"], item["dryRun"]
    if item["status"] == "pending":
        if item.get("cancelRequestedAt"):
            return "The import is stopping: it was cancelled and ends after the batch it is writing."
        return "The import is still running."
    if item["status"] == "cancelled":
        return "The import was cancelled; the rows it had committed stay imported (see the counts)."
    if item["status"] == "failed":
        if item["onError"] == "abort":
            return "The import failed and wrote nothing (abort on error): the messages say why."
        return "The import failed: the messages say why."
    if failed:
        if dry:
            return f"Dry run: {failed} row(s) would fail. Nothing was written."
        return f"{failed} row(s) failed; the other rows were written. Fix the failed rows and push again."
    return "Dry run: every row would import. Nothing was written." if dry else "Every row was imported."


def files_table(files: Iterable[BundleFile]) -> Table:
    """A bundle's files in import order, each with its own counts."""
    files = list(files)
    # A file's name is never cut: the counts are what may wrap on a narrow terminal.
    name = Column("file", no_wrap=True, min_width=max((len(item["name"]) for item in files), default=4))
    table = Table(name, "mode", "status", "lines", *COUNT_NAMES, title="Files")
    for item in files:
        counts = item["counts"]
        table.add_row(
            item["name"],
            item["mode"],
            Text(item["status"], style=_FILE_STATUS_STYLE.get(item["status"], "")),
            str(item["lines"]),
            *[
                Text(str(counts.get(name, 0)), style="red" if name == "failed" and counts.get(name) else "")
                for name in COUNT_NAMES
            ],
        )
    return table


def messages_table(messages: Iterable[Message]) -> Table:
    """The problems found, one a row, in line order; each says whether its row was written
    (a warning) or not (an error), in words as well as colour (a pipe has no colour). A bundle's
    messages name their file in a column of its own."""
    messages = list(messages)
    with_file = any(message.get("file") for message in messages)
    names = [message.get("file") or "" for message in messages]
    file_column = Column("file", no_wrap=True, min_width=max(map(len, names), default=4))
    table = Table(*([file_column] if with_file else []), "line", "severity", "column", "message")
    for message in messages:
        line = message["line"]
        severity = message.get("severity") or "error"
        table.add_row(
            *([message.get("file") or "bundle"] if with_file else []),
            "" if line is None else str(line),
            Text(severity, style=_SEVERITY_STYLE.get(severity, "")),
            message["column"] or "",
            message["message"],
        )
    return table


def rows_text(counts: Counts) -> str:
    """``1 created, 1 failed``: the counts that are not zero."""
    done = [(counts.get(name, 0), name) for name in COUNT_NAMES]
    return ", ".join(f"{number} {name}" for number, name in done if number) or "-"


def imports_table(items: Iterable[Import]) -> Table:
    """Imports one a row, newest first as the server lists them."""
    table = Table("status", "template", "file", "rows", "uploaded (UTC)")
    # A reference is for copying: never cut, whatever the terminal's width.
    table.columns.insert(0, Column("reference", no_wrap=True, min_width=36))
    for item in items:
        table.add_row(
            item["referenceId"],
            status_text(item["status"]),
            item["importType"] or "-",
            item["fileName"] or "-",
            rows_text(item["counts"]),
            # To the minute: the reference tells imports of the same minute apart.
            item["createdAt"].replace("T", " ")[:16],
        )
    return table
