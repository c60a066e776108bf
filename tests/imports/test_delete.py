"""DELETE /api/v1/imports/{ref}: an ended import's files and messages go, its rows and counts stay."""

from __future__ import annotations

from sqlalchemy import func, select

from loadbay.importing.service import REFERENCE_NOT_FOUND
from loadbay.models import ImportMessage, RosterGroup
from tests.conftest import ApiUser, counts

GROUPS = "group_name,group_active,group_organizationId\ng1,TRUE,root\ng2,MAYBE,root\n"


def _objects(api: ApiUser) -> list[str]:
    root = api.runtime.settings.data_dir / "objects"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_delete_removes_the_upload_result_and_messages_and_keeps_the_rows(rostering: ApiUser) -> None:
    status = rostering.import_file(GROUPS)
    reference = str(status["referenceId"])
    rostering.result_csv(reference)
    assert _objects(rostering) != []
    response = rostering.http.delete(f"/api/v1/imports/{reference}", headers=rostering.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["filesDeletedAt"] is not None
    assert body["counts"] == counts(created=1, failed=1)
    assert _objects(rostering) == []
    with rostering.runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ImportMessage)) == 0
        assert session.scalar(select(func.count()).select_from(RosterGroup)) == 1
    gone = rostering.http.get(f"/api/v1/imports/{reference}/download", headers=rostering.headers)
    assert gone.status_code == 410
    assert gone.json()["message"].startswith("The result file of this import was deleted on ")
    assert rostering.http.get(f"/api/v1/download/{reference}", headers=rostering.headers).status_code == 410
    # Deleting again is harmless.
    again = rostering.http.delete(f"/api/v1/imports/{reference}", headers=rostering.headers)
    assert (again.status_code, again.json()["filesDeletedAt"]) == (200, body["filesDeletedAt"])


def test_a_pending_import_must_be_cancelled_first_and_another_tenants_is_not_found(
    rostering: ApiUser,
) -> None:
    reference = str(rostering.upload(GROUPS)["referenceId"])
    pending = rostering.http.delete(f"/api/v1/imports/{reference}", headers=rostering.headers)
    assert pending.status_code == 409
    assert "cancel it first" in pending.json()["message"]
    other = ApiUser.create(rostering.http, rostering.runtime, tenant="district-b")
    refused = other.http.delete(f"/api/v1/imports/{reference}", headers=other.headers)
    assert (refused.status_code, refused.json()) == (404, {"message": REFERENCE_NOT_FOUND})
