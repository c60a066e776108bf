"""The shapes of the API's answers, as the client reads them (see the README's contracts)."""

from __future__ import annotations

from typing import Literal, TypedDict

Status = Literal["pending", "processed", "failed", "cancelled"]


class Counts(TypedDict):
    created: int
    updated: int
    unchanged: int
    failed: int
    deactivated: int
    removed: int


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


class Message(TypedDict):
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
