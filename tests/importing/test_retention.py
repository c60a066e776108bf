"""LOADBAY_IMPORT_RETENTION_DAYS: ended imports' files are swept once the period has passed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from loadbay.db import transaction
from loadbay.importing.retention import sweep_import_retention
from loadbay.models import ImportJob, utcnow
from tests.conftest import ApiUser

GROUPS = "group_name,group_organizationId\ng1,root\n"


def _age(api: ApiUser, reference: str, days: int) -> None:
    with transaction(api.runtime.write_sessions) as session:
        session.execute(
            update(ImportJob)
            .where(ImportJob.id == reference)
            .values(finished_at=utcnow() - timedelta(days=days))
        )


def _detail(api: ApiUser, reference: str) -> dict[str, object]:
    response = api.http.get(f"/api/v1/imports/{reference}", headers=api.headers)
    result: dict[str, object] = response.json()
    return result


def test_the_sweep_deletes_only_what_is_past_the_period(rostering: ApiUser) -> None:
    old = str(rostering.import_file(GROUPS)["referenceId"])
    recent = str(rostering.import_file(GROUPS)["referenceId"])
    pending = str(rostering.upload(GROUPS)["referenceId"])
    _age(rostering, old, 31)
    _age(rostering, recent, 29)
    # Off by default: nothing goes.
    assert sweep_import_retention(rostering.runtime) == 0
    rostering.runtime.settings.import_retention_days = 30
    assert sweep_import_retention(rostering.runtime) == 1
    assert _detail(rostering, old)["filesDeletedAt"] is not None
    assert _detail(rostering, recent)["filesDeletedAt"] is None
    assert _detail(rostering, pending)["filesDeletedAt"] is None
    assert rostering.http.get(f"/api/v1/imports/{old}/download", headers=rostering.headers).status_code == 410
    assert (
        rostering.http.get(f"/api/v1/imports/{recent}/download", headers=rostering.headers).status_code == 200
    )
    # Swept once: the next sweep finds nothing more.
    assert sweep_import_retention(rostering.runtime) == 0
