"""Idempotency-Key on POST /api/v1/upload: a retried upload answers as the first and starts nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from loadbay.db import transaction
from loadbay.idempotency.service import sweep_expired_keys
from loadbay.models import IdempotencyKey, ImportJob, utcnow
from tests.conftest import ApiUser

GROUPS = "group_name,group_organizationId\ng1,root\n"


def _upload(api: ApiUser, content: str, key: str | None, **data: str) -> tuple[int, dict[str, object], str]:
    headers = dict(api.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    response = api.http.post(
        "/api/v1/upload", headers=headers, files={"file": ("g.csv", content.encode(), "text/csv")}, data=data
    )
    return response.status_code, response.json(), response.headers.get("Idempotent-Replayed", "")


def _imports(api: ApiUser) -> int:
    with api.runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(ImportJob)) or 0


def _objects(api: ApiUser) -> int:
    return len(list((api.runtime.settings.data_dir / "objects").rglob("*.csv")))


def test_the_same_key_and_file_answer_as_the_first_upload_and_start_nothing(rostering: ApiUser) -> None:
    code, first, replayed = _upload(rostering, GROUPS, "nightly-2026-12-03")
    assert (code, replayed) == (200, "")
    objects = _objects(rostering)
    code, again, replayed = _upload(rostering, GROUPS, "nightly-2026-12-03")
    assert (code, again, replayed) == (200, first, "true")
    assert _imports(rostering) == 1
    assert _objects(rostering) == objects


def test_the_same_key_with_another_file_or_options_is_a_422_naming_the_key(rostering: ApiUser) -> None:
    _upload(rostering, GROUPS, "k1")
    objects = _objects(rostering)
    refusal = {
        "message": "Idempotency-Key 'k1' was used for another file or other options; "
        "send a new key for a new upload."
    }
    assert _upload(rostering, GROUPS + "g2,root\n", "k1")[:2] == (422, refusal)
    assert _upload(rostering, GROUPS, "k1", dryRun="true")[:2] == (422, refusal)
    assert _imports(rostering) == 1
    assert _objects(rostering) == objects


def test_without_a_key_or_after_24_hours_an_upload_is_new(rostering: ApiUser) -> None:
    _upload(rostering, GROUPS, None)
    _upload(rostering, GROUPS, None)
    assert _imports(rostering) == 2
    _upload(rostering, GROUPS, "old")
    with transaction(rostering.runtime.write_sessions) as session:
        session.execute(update(IdempotencyKey).values(created_at=utcnow() - timedelta(hours=25)))
    code, _body, replayed = _upload(rostering, GROUPS, "old")
    assert (code, replayed) == (200, "")
    assert _imports(rostering) == 4


def test_keys_are_per_tenant(rostering: ApiUser) -> None:
    other = ApiUser.create(rostering.http, rostering.runtime, tenant="district-b")
    mine = _upload(rostering, GROUPS, "shared-name")[1]
    theirs = _upload(other, GROUPS, "shared-name")[1]
    assert mine != theirs
    assert _imports(rostering) == 2


def test_a_key_that_is_not_visible_ascii_is_a_400_and_nothing_is_stored(rostering: ApiUser) -> None:
    for bad in ("", "x" * 256, "has space"):
        code, body, _ = _upload(rostering, GROUPS, bad)
        assert (code, body) == (
            400,
            {"message": "Idempotency-Key must be 1 to 255 visible ASCII characters."},
        )
    assert _imports(rostering) == 0
    assert _objects(rostering) == 0


def test_the_sweep_forgets_keys_older_than_24_hours(rostering: ApiUser) -> None:
    _upload(rostering, GROUPS, "old-key")
    _upload(rostering, GROUPS, "new-key")
    with transaction(rostering.runtime.write_sessions) as session:
        session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.key == "old-key")
            .values(created_at=utcnow() - timedelta(hours=25))
        )
    assert sweep_expired_keys(rostering.runtime) == 1
    with rostering.runtime.sessions() as session:
        assert session.scalars(select(IdempotencyKey.key)).all() == ["new-key"]
