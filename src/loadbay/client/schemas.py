"""The shapes of the API's answers, as the client reads them (see the README's contracts)."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

Status = Literal["pending", "processed", "failed", "cancelled"]


class Counts(TypedDict):
    created: int
    updated: int
    unchanged: int
    failed: int
    deactivated: int
    removed: int


class BundleFile(TypedDict):
    """One file of a bundle, in import order: how far it got and its own counts."""

    name: str
    importType: str
    # bulk: the whole truth, synced after it is imported; delta: changes only.
    mode: str
    # pending, running or done.
    status: str
    # Physical lines read so far, header included.
    lines: int
    # Empty until the file has started.
    counts: Counts


class Import(TypedDict):
    referenceId: str
    status: Status
    importType: str | None
    fileName: str | None
    sizeBytes: int
    fileLine: int
    totalLines: int | None
    counts: Counts
    messageCount: int
    dryRun: bool
    onError: str
    mode: str
    changeThreshold: float | None
    scope: str
    attempts: int
    createdAt: str
    startedAt: str | None
    finishedAt: str | None
    cancelRequestedAt: str | None
    filesDeletedAt: str | None
    # A bundle's files once a worker has opened it; null for a CSV file (absent on older servers).
    files: NotRequired[list[BundleFile] | None]


class Message(TypedDict):
    # The file of a bundle the line is in (users.csv); null for a CSV file.
    file: NotRequired[str | None]
    line: int | None
    column: str | None
    code: str
    # "error": the row was not written; "warning": it was.
    severity: str
    message: str


class MessagePage(TypedDict):
    items: list[Message]
    nextCursor: str | None


class ImportDetail(Import):
    messages: list[str]
    messagePage: MessagePage


class ImportPage(TypedDict):
    items: list[Import]
    nextCursor: str | None


class Project(TypedDict):
    companyProjectId: str
    name: str


class Company(TypedDict):
    """An item of ``GET /api/adm/companies`` (batches API): a company and its projects."""

    companyId: str
    name: str
    retentionDays: int
    projects: list[Project]


class Detection(TypedDict):
    """``POST /api/v1/templates/detect``: the template a file's header fits, or why none does."""

    importType: str | None
    header: list[str]
    closest: str
    problems: list[str]
