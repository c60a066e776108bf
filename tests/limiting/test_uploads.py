"""Upload limits (issue 16): per client per minute, a tenant's pending imports, its stored bytes.

Each refusal comes before the body is stored, in the dialect's own error shape, and says when
(or how) to try again.
"""

from __future__ import annotations

from typing import Any

from loadbay.models import ImportJob
from tests.conftest import ApiUser, run_jobs

GROUPS = "group_name,group_organizationId\ng1,root\n"


def _upload(api: ApiUser, content: str = GROUPS) -> Any:
    return api.http.post(
        "/api/v1/upload", headers=api.headers, files={"file": ("groups.csv", content.encode(), "text/csv")}
    )


def _stored_uploads(api: ApiUser) -> int:
    return len(list((api.runtime.settings.data_dir / "objects").rglob("*.csv")))


def test_uploads_per_minute_per_client(rostering: ApiUser) -> None:
    rostering.runtime.settings.uploads_per_minute = 3
    codes = [_upload(rostering).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    refused = _upload(rostering)
    assert refused.json()["message"].startswith(
        "Too many uploads: this client may send 3 a minute; retry in "
    )
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert _stored_uploads(rostering) == 3
    # Another client of the same tenant has its own count.
    other = ApiUser.create(rostering.http, rostering.runtime)
    assert _upload(other).status_code == 200


def test_a_tenants_pending_imports_are_capped_until_some_finish(rostering: ApiUser) -> None:
    rostering.runtime.settings.tenant_max_pending_imports = 2
    assert [_upload(rostering).status_code for _ in range(2)] == [200, 200]
    refused = _upload(rostering)
    assert refused.status_code == 429
    assert refused.json() == {
        "message": "2 imports of this tenant are waiting to run, the most allowed (2); retry once some have finished."
    }
    assert refused.headers["Retry-After"] == "30"
    # Another tenant is not held up; and once the queue drains, uploads go through again.
    assert _upload(ApiUser.create(rostering.http, rostering.runtime, tenant="district-b")).status_code == 200
    run_jobs(rostering.runtime)
    assert _upload(rostering).status_code == 200


def test_a_tenants_stored_bytes_quota_refuses_with_413_until_files_are_deleted(rostering: ApiUser) -> None:
    first = rostering.import_file(GROUPS)
    rostering.runtime.settings.tenant_max_stored_bytes = len(GROUPS)
    refused = _upload(rostering, "group_name,group_organizationId\ng2,root\n")
    assert refused.status_code == 413
    assert refused.json()["message"].startswith(
        f"This tenant keeps {len(GROUPS)} bytes of uploads stored, its quota is {len(GROUPS)}"
    )
    deleted = rostering.http.delete(f"/api/v1/imports/{first['referenceId']}", headers=rostering.headers)
    assert deleted.status_code == 200
    assert _upload(rostering, "group_name,group_organizationId\ng2,root\n").status_code == 200
    with rostering.runtime.sessions() as session:
        assert session.query(ImportJob).count() == 2


def test_a_retry_with_its_idempotency_key_is_answered_not_refused(rostering: ApiUser) -> None:
    rostering.runtime.settings.tenant_max_pending_imports = 1
    headers = {**rostering.headers, "Idempotency-Key": "nightly-1"}
    files = {"file": ("groups.csv", GROUPS.encode(), "text/csv")}
    first = rostering.http.post("/api/v1/upload", headers=headers, files=files)
    assert first.status_code == 200
    # The queue is full now, but this is the same upload again: its first answer comes back.
    again = rostering.http.post("/api/v1/upload", headers=headers, files=files)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert _upload(rostering).status_code == 429
