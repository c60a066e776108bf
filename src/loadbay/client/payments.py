"""``loadbay push --company``: a merchant's payments file, through the batches API.

A batch is staged for one company's project and takes the file; it then names its import as the
imports API knows it (``referenceId``), which ``push`` follows as it follows any other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from loadbay.client.api import PAYMENTS_SCOPE, LoadbayClient
from loadbay.client.errors import NoTemplateFits, UsageError
from loadbay.client.schemas import Company

CREATE_COMPANY = "an administrator creates them with: loadbay companies create --tenant T --name N"
CREATE_PROJECT = "an administrator creates one with: loadbay projects create --company ID --name N"


def check_batch_options(
    *, company: str | None, project: str | None, dry_run: bool, abort_on_error: bool, sync: bool = False
) -> None:
    """Refuse, before any request, the options the batches API cannot honour."""
    if company is None:
        if project is not None:
            raise UsageError("--project needs --company: a project is one of a company's.")
        return
    for given, option, what in (
        (dry_run, "--dry-run", "dry-run"),
        (abort_on_error, "--abort-on-error", "abort-on-error"),
        (sync, "--sync", "sync"),
    ):
        if given:
            raise UsageError(
                f"The batches API has no {what} option: {option} cannot go with --company. "
                "A batch imports every row it can."
            )


def _listing(options: list[tuple[str, str]]) -> str:
    return ", ".join(f"{name} ({ident})" for ident, name in options)


def _choose(kind: str, wanted: str, options: list[tuple[str, str]], *, where: str = "") -> str:
    """The id of the one ``(id, name)`` of ``options`` whose id or exact name is ``wanted``."""
    # Ids are GUIDs, which may be written in either case.
    by_id = [ident for ident, _ in options if ident.lower() == wanted.strip().lower()]
    if by_id:
        return by_id[0]
    by_name = [ident for ident, name in options if name == wanted]
    if len(by_name) == 1:
        return by_name[0]
    if by_name:
        raise UsageError(
            f"The {kind} name {wanted!r}{where} is not unique: give the id of one: {', '.join(by_name)}."
        )
    raise UsageError(f"No {kind} {wanted!r}{where} (by id or exact name); there are: {_listing(options)}.")


@dataclass(frozen=True)
class BatchTarget:
    """What a batch is staged for."""

    company_id: str
    company_name: str
    project_id: str
    project_name: str


def resolve_target(companies: list[Company], *, company: str, project: str | None) -> BatchTarget:
    """The company and project named by id or exact name; the project may be left out when the
    company has exactly one."""
    if not companies:
        raise UsageError(
            f"No company {company!r}: this client's tenant has no companies yet; {CREATE_COMPANY}."
        )
    company_id = _choose("company", company, [(item["companyId"], item["name"]) for item in companies])
    chosen = next(item for item in companies if item["companyId"] == company_id)
    projects = [(item["companyProjectId"], item["name"]) for item in chosen["projects"]]
    if not projects:
        raise UsageError(f"Company {chosen['name']} has no projects; {CREATE_PROJECT}.")
    if project is None:
        if len(projects) > 1:
            raise UsageError(
                f"Company {chosen['name']} has {len(projects)} projects: give --project, "
                f"one of {_listing(projects)}."
            )
        project_id = projects[0][0]
    else:
        project_id = _choose("project", project, projects, where=f" in company {chosen['name']}")
    project_name = next(name for ident, name in projects if ident == project_id)
    return BatchTarget(company_id, chosen["name"], project_id, project_name)


def detect_payments_type(client: LoadbayClient, path: Path) -> str:
    """The payments template the file's header fits; a file that fits none is refused."""
    found = client.detect(path, scope=PAYMENTS_SCOPE)
    if found["importType"] is None:
        closest = found["closest"]
        # Each problem comes as "<closest>: ...", which the message names once.
        problems = "; ".join(problem.removeprefix(f"{closest}: ") for problem in found["problems"])
        raise NoTemplateFits(
            f"The header of {path.name} fits no payments template; the closest, {closest}: {problems}. "
            f"Its header row: {client.url}/api/v1/templates/{closest}.csv"
        )
    return found["importType"]


@dataclass(frozen=True)
class PushedBatch:
    """A batch that has its file, and the import that the imports API follows."""

    batch_id: str
    reference_id: str
    import_type: str
    target: BatchTarget


def push_batch(
    client: LoadbayClient,
    path: Path,
    *,
    company: str,
    project: str | None,
    import_type: str | None,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> PushedBatch:
    """Find the company and project, detect the type unless given, stage a batch and upload
    ``path`` as its file."""
    target = resolve_target(client.companies(), company=company, project=project)
    import_type = import_type or detect_payments_type(client, path)
    # Before the batch is staged: a file the server would refuse leaves no empty batch behind.
    client.refuse_if_too_large(path.stat().st_size, "batchesMaxUploadBytes")
    batch_id = client.create_batch(
        company_id=target.company_id, project_id=target.project_id, import_type=import_type
    )
    client.upload_batch_file(batch_id, path, on_progress=on_progress)
    return PushedBatch(batch_id, client.batch_reference(batch_id), import_type, target)
