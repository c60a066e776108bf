"""Tables and progress bars of the client commands (rich); nothing here talks to the server."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich.console import Console
from rich.filesize import decimal
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

from loadbay.client.schemas import Counts, Import, Message

_STATUS_STYLE = {"pending": "yellow", "processed": "green", "failed": "bold red", "cancelled": "magenta"}
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
    if item.get("mode") == "sync":
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
    rows: list[tuple[str, str | Text]] = [
        ("reference", item["referenceId"]),
        ("status", status_text(item["status"])),
        ("file", f"{item['fileName'] or '-'} ({decimal(item['sizeBytes'])})"),
        ("template", item["importType"] or "none detected"),
        ("mode", mode(item)),
        ("lines", f"{lines(item)}, header included"),
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


def messages_table(messages: Iterable[Message]) -> Table:
    """The problems found, one a row, in line order; each says whether its row was written
    (a warning) or not (an error), in words as well as colour (a pipe has no colour)."""
    table = Table("line", "severity", "column", "message")
    for message in messages:
        line = message["line"]
        severity = message.get("severity") or "error"
        table.add_row(
            "" if line is None else str(line),
            Text(severity, style=_SEVERITY_STYLE.get(severity, "")),
            message["column"] or "",
            message["message"],
        )
    return table


def rows_text(counts: Counts) -> str:
    """``1 created, 1 failed``: the counts that are not zero."""
    done = [
        (counts["created"], "created"),
        (counts["updated"], "updated"),
        (counts["unchanged"], "unchanged"),
        (counts["failed"], "failed"),
        (counts.get("deactivated", 0), "deactivated"),
        (counts.get("removed", 0), "removed"),
    ]
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
