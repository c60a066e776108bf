"""What ``--wait`` shows on stderr while an import runs: a bar of its lines, or for a bundle one
line per file (name, bulk or delta, status, lines read, counts so far).

A bundle's files are listed once a worker has opened the zip; until then a bundle shows that it
waits. A pending import whose lines are not counted is one: a CSV file's are counted as it uploads.
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import Progress, TaskID

from loadbay.client.render import FileCells, file_fields, files_progress, is_bundle, line_progress
from loadbay.client.schemas import ImportDetail


def _waiting(detail: ImportDetail) -> FileCells:
    doing = "opening the zip" if detail["startedAt"] else "waiting for a worker"
    return {"mode": "", "status": "[dim]pending[/]", "lines": "", "counts": doing}


class ImportProgress:
    """Started by the first answer about the import; ``bundle``: the file pushed is one."""

    def __init__(self, console: Console, *, quiet: bool, bundle: bool = False) -> None:
        self.console = console
        self.quiet = quiet
        self.bundle = bundle
        self.display: Progress | None = None
        self.line_task: TaskID | None = None
        self.file_tasks: dict[str, TaskID] = {}

    def __enter__(self) -> ImportProgress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        if self.display is not None:
            self.display.stop()

    def update(self, detail: ImportDetail) -> None:
        bundle = is_bundle(detail) or (detail["status"] == "pending" and detail["totalLines"] is None)
        if self.file_tasks or self.bundle or bundle:
            self._show_files(detail)
        else:
            self._show_lines(detail)

    def _show_lines(self, detail: ImportDetail) -> None:
        if self.display is None:
            self.display = line_progress(self.console, disable=self.quiet)
            self.line_task = self.display.add_task("importing", total=None)
            self.display.start()
        assert self.line_task is not None
        self.display.update(
            self.line_task,
            completed=detail["fileLine"],
            total=detail["totalLines"],
            description=f"importing ({detail['importType']})" if detail["importType"] else "importing",
        )

    def _show_files(self, detail: ImportDetail) -> None:
        if self.line_task is not None and self.display is not None:
            # The bar of a bundle not known as one (an older server): it goes.
            self.display.live.transient = True
            self.display.stop()
            self.display, self.line_task = None, None
        if self.display is None:
            self.display = files_progress(self.console, disable=self.quiet)
            self.display.start()
        files = detail.get("files") or []
        # Until the files are listed, one line for the bundle: while it waits, not once it ended.
        waiting = self.file_tasks.get("")
        if files or detail["status"] != "pending":
            if waiting is not None:
                self.display.remove_task(self.file_tasks.pop(""))
        elif waiting is None:
            self.file_tasks[""] = self.display.add_task(detail["fileName"] or "bundle", **_waiting(detail))
        else:
            self.display.update(waiting, **_waiting(detail))
        for item in files:
            task = self.file_tasks.get(item["name"])
            if task is None:
                self.file_tasks[item["name"]] = self.display.add_task(
                    item["name"], total=None, **file_fields(item)
                )
            else:
                self.display.update(task, **file_fields(item))
