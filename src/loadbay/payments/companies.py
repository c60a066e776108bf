"""Companies and their projects: which batches a tenant's payments clients may stage."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from loadbay.auth.service import get_or_create_tenant
from loadbay.models import Company, CompanyProject
from loadbay.models.payments import DEFAULT_RETENTION_DAYS


class CompanyError(ValueError):
    """A company or project request that cannot be carried out; the message says why."""


def parse_guid(value: str) -> str | None:
    """The canonical spelling of a GUID, or None when ``value`` is not one."""
    try:
        return str(uuid.UUID(value.strip()))
    except (ValueError, AttributeError):
        return None


def create_company(
    session: Session, *, tenant_name: str, name: str, retention_days: int = DEFAULT_RETENTION_DAYS
) -> Company:
    """A new company of ``tenant_name`` (created if new). Names are unique within a tenant."""
    name = name.strip()
    if not name:
        raise CompanyError("give the company a name with --name")
    if retention_days < 0:
        raise CompanyError("--retention-days must be 0 or more")
    tenant = get_or_create_tenant(session, name=tenant_name)
    existing = session.scalar(select(Company).where(Company.tenant_id == tenant.id, Company.name == name))
    if existing is not None:
        raise CompanyError(f"tenant {tenant_name} already has a company named {name!r}: {existing.id}")
    company = Company(id=str(uuid.uuid4()), tenant_id=tenant.id, name=name, retention_days=retention_days)
    session.add(company)
    session.flush()
    return company


def set_retention(session: Session, *, company_id: str, retention_days: int) -> Company:
    if retention_days < 0:
        raise CompanyError("--days must be 0 or more")
    company = session.get(Company, parse_guid(company_id) or "")
    if company is None:
        raise CompanyError(f"no company {company_id}")
    company.retention_days = retention_days
    session.flush()
    return company


def create_project(session: Session, *, company_id: str, name: str) -> CompanyProject:
    """A new project of the company. Names are unique within a company."""
    name = name.strip()
    if not name:
        raise CompanyError("give the project a name with --name")
    company = session.get(Company, parse_guid(company_id) or "")
    if company is None:
        raise CompanyError(f"no company {company_id}")
    existing = session.scalar(
        select(CompanyProject).where(CompanyProject.company_id == company.id, CompanyProject.name == name)
    )
    if existing is not None:
        raise CompanyError(f"company {company.id} already has a project named {name!r}: {existing.id}")
    project = CompanyProject(id=str(uuid.uuid4()), company_id=company.id, name=name)
    session.add(project)
    session.flush()
    return project


def get_tenant_company(session: Session, *, tenant_id: int, company_id: str) -> Company | None:
    """The company, only if it is the tenant's: another tenant's is as unknown as a typo."""
    guid = parse_guid(company_id)
    company = session.get(Company, guid) if guid else None
    if company is None or company.tenant_id != tenant_id:
        return None
    return company


def get_company_project(session: Session, *, company_id: str, project_id: str) -> CompanyProject | None:
    guid = parse_guid(project_id)
    project = session.get(CompanyProject, guid) if guid else None
    if project is None or project.company_id != company_id:
        return None
    return project


def list_tenant_companies(session: Session, *, tenant_id: int) -> list[tuple[Company, list[CompanyProject]]]:
    """The tenant's companies by name, each with its projects by name: two queries, however many."""
    companies = session.scalars(
        select(Company).where(Company.tenant_id == tenant_id).order_by(Company.name, Company.id)
    ).all()
    projects: dict[str, list[CompanyProject]] = {company.id: [] for company in companies}
    if companies:
        for project in session.scalars(
            select(CompanyProject)
            .join(Company, Company.id == CompanyProject.company_id)
            .where(Company.tenant_id == tenant_id)
            .order_by(CompanyProject.name, CompanyProject.id)
        ):
            projects[project.company_id].append(project)
    return [(company, projects[company.id]) for company in companies]
