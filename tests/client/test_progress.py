"""What ``--wait`` shows on stderr: a bundle's files, one line each, and no bar left behind."""

from __future__ import annotations

import io
from typing import Any, cast

from rich.console import Console

from loadbay.client.progress import ImportProgress
from loadbay.client.schemas import BundleFile, ImportDetail

COUNTS = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0, "deactivated": 0, "removed": 0}


def detail(status: str = "pending", files: list[BundleFile] | None = None, **fields: Any) -> ImportDetail:
    item = {
        "referenceId": "r",
        "status": status,
        "importType": None,
        "fileName": "district.zip",
        "fileLine": 0,
        "totalLines": None,
        "startedAt": None,
        "files": files,
    }
    return cast(ImportDetail, item | fields)


def file(name: str, status: str, lines: int = 0, **counts: int) -> BundleFile:
    return {
        "name": name,
        "importType": f"oneroster.{name.removesuffix('.csv')}",
        "mode": "bulk",
        "status": status,
        "lines": lines,
        "counts": cast(Any, COUNTS | counts if status != "pending" else {}),
    }


def shown(updates: list[ImportDetail], *, bundle: bool = False) -> list[str]:
    """What a console that is not a terminal (a log, a pipe) keeps: the last state, blank lines aside."""
    console = Console(file=io.StringIO(), width=100)
    with ImportProgress(console, quiet=False, bundle=bundle) as progress:
        for update in updates:
            progress.update(update)
    text = cast(io.StringIO, console.file).getvalue()
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def test_a_bundle_followed_by_reference_ends_with_its_files_only() -> None:
    # Pending with no line count: a bundle not yet opened (a CSV file's lines are counted on upload).
    assert shown([detail()]) == ["district.zip pending waiting for a worker"]
    assert shown(
        [
            detail(),
            detail(startedAt="now", importType="oneroster", files=[file("orgs.csv", "running", 2)]),
            detail(
                "processed",
                importType="oneroster",
                files=[file("orgs.csv", "done", 3, created=2), file("courses.csv", "done", 4, failed=1)],
            ),
        ]
    ) == ["orgs.csv bulk done 3 lines 2 created", "courses.csv bulk done 4 lines 1 failed"]


def test_a_pushed_bundle_waits_on_one_line_until_its_files_are_listed() -> None:
    assert shown([detail()], bundle=True) == ["district.zip pending waiting for a worker"]
    assert shown([detail(startedAt="now")], bundle=True) == ["district.zip pending opening the zip"]
    listed = [file("orgs.csv", "running", 2), file("users.csv", "pending")]
    assert shown([detail(), detail(startedAt="now", files=listed)], bundle=True) == [
        "orgs.csv bulk running 2 lines",
        "users.csv bulk pending",
    ]
    # Failed while opening the zip: nothing listed, and nothing said to still wait.
    assert shown([detail(), detail("failed", startedAt="now")], bundle=True) == []


def test_a_csv_file_keeps_its_bar_of_lines() -> None:
    users: dict[str, Any] = {"importType": "users", "totalLines": 4}
    lines = shown([detail(**users), detail("processed", fileLine=4, **users)])
    assert len(lines) == 1
    assert lines[0].startswith("importing (users)")
    assert "4/4 lines" in lines[0]


def test_the_bar_gives_way_to_the_files_when_they_show_up() -> None:
    # A bundle whose lines were counted (a server that counts them): the bar leaves no line behind.
    done = [file("orgs.csv", "done", 3, created=2)]
    lines = shown([detail(totalLines=9), detail("processed", totalLines=9, files=done)])
    assert lines == ["orgs.csv bulk done 3 lines 2 created"]
