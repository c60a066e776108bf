"""A bundle's import cut off mid-way (its worker killed with -9) and taken over by another ends as
an uninterrupted one: the same counts per file, messages, stored rows and result zip."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from sqlalchemy import update

from loadbay.db import transaction
from loadbay.models import ImportJob
from tests.conftest import ApiUser, expire_lease, run_cut_off, run_jobs
from tests.oneroster.bundles import PASSWORD, bundle, district, unzip, user
from tests.oneroster.test_bundles import messages, read, result_zip, stored_objects, upload

BATCH_ROWS = 2
COLLECTIONS = (
    "organizations",
    "academicSessions",
    "courses",
    "groups",
    "users",
    "memberships",
    "demographics",
)


def roster() -> dict[str, list[dict[str, str]]]:
    """The district with four more students (with passwords) and twelve enrollments, two of a
    user no file has (one before the cut, one after)."""
    files = district()
    files["users"] += [
        user(f"u{i}", f"student{i}", "s1", "student", givenName="Stu", familyName=f"Dent{i}")
        | {"password": f"Secret#{i:04d}x"}
        for i in range(5, 9)
    ]

    def enrollment(sourced_id: str, klass: str, user_id: str) -> dict[str, str]:
        school = "s2" if klass == "k2" else "s1"
        return {"sourcedId": sourced_id, "classSourcedId": klass, "schoolSourcedId": school} | {
            "userSourcedId": user_id,
            "role": "student",
        }

    files["enrollments"][2:2] = [enrollment("e90", "k1", "ghost1")]
    files["enrollments"] += [enrollment(f"e{i}", "k1", f"u{i}") for i in range(5, 9)]
    files["enrollments"] += [enrollment("e91", "k2", "ghost2")]
    files["enrollments"] += [enrollment(f"e{i}", "k2", f"u{i - 4}") for i in range(9, 11)]
    files["demographics"] += [{"sourcedId": f"u{i}", "sex": "female"} for i in (5, 6)]
    return files


def earlier() -> dict[str, list[dict[str, str]]]:
    """What the tenant imported before: the roster and one more user, u9, whom the roster's
    bulk users.csv leaves out (its sync deactivates u9)."""
    files = roster()
    files["users"].append(user("u9", "gone", "s1", "student", givenName="Gone", familyName="Away"))
    return files


def checks_before(files: dict[str, list[dict[str, str]]], entity: str) -> int:
    """The lease checks a run makes before ``entity``'s first batch: one per batch of each
    earlier file, and one for its sync."""
    done = list(files)[: list(files).index(entity)]
    return sum(math.ceil(len(files[e]) / BATCH_ROWS) + 1 for e in done)


def start(api: ApiUser) -> str:
    """The tenant's earlier bundle imported; the roster's uploaded, not yet run."""
    api.runtime.settings.batch_rows = 100_000
    assert upload(api, bundle(earlier()))["status"] == "processed"
    api.runtime.settings.batch_rows = BATCH_ROWS
    response = api.http.post(
        "/api/v1/upload",
        headers=api.headers,
        files={"file": ("bundle.zip", bundle(roster()), "application/zip")},
        data={"changeThreshold": "50"},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["result"]["referenceId"])


def files_of(api: ApiUser, reference: str) -> dict[str, dict[str, Any]]:
    """The import's progress per file, as the import row keeps it."""
    with api.runtime.sessions() as session:
        job = session.get(ImportJob, reference)
        assert job is not None
        return {f["name"]: f for f in json.loads(job.bundle or "[]")}


SHOWN = ("status", "counts", "files", "fileLine", "totalLines", "messageCount", "messages")


def shown(api: ApiUser, reference: str) -> dict[str, Any]:
    """What the imports API shows of an ended import: its status, counts, files, lines and
    messages (each with its file, line, column and code)."""
    response = api.http.get(f"/api/v1/imports/{reference}", headers=api.headers)
    assert response.status_code == 200, response.text
    detail = response.json()
    return {k: detail[k] for k in SHOWN} | {"records": detail["messagePage"]["items"]}


def outcome(api: ApiUser, reference: str) -> dict[str, Any]:
    """An ended import as shown, the tenant's stored rows and the result zip."""
    return (
        shown(api, reference)
        | {c: read(api, c) for c in COLLECTIONS}
        | {"result": result_zip(api, reference)}
    )


def test_a_bundle_resumed_after_a_cut_ends_as_an_uncut_one_and_never_repeats_a_sync(
    rostering: ApiUser,
) -> None:
    uncut = start(rostering)
    run_jobs(rostering.runtime)
    expected = outcome(rostering, uncut)
    assert expected["status"] == "processed"
    assert expected["counts"]["deactivated"] == 1
    users = {f["name"]: f for f in expected["files"]}["users.csv"]
    assert users["counts"]["deactivated"] == 1
    assert expected["users"]["gone"]["active"] is False
    assert len(messages(expected)) == 2
    assert expected["totalLines"] == sum(f["lines"] for f in expected["files"]) == expected["fileLine"]

    files = roster()
    cuts = {
        # Three parts of enrollments.csv committed, the fourth never.
        "inside-enrollments": checks_before(files, "enrollments") + 3,
        # users.csv's rows all committed, its sync not begun.
        "before-the-users-sync": checks_before(files, "enrollments") - 1,
        # users.csv's sync committed, the file not yet recorded done (see below).
        "users-synced-not-done": checks_before(files, "enrollments"),
    }
    for number, (cut, checks) in enumerate(cuts.items()):
        api = ApiUser.create(rostering.http, rostering.runtime, tenant=f"district-{number}")
        reference = start(api)
        run_cut_off(api.runtime, reference, checks=checks)
        progress = files_of(api, reference)
        if cut == "inside-enrollments":
            assert progress["users.csv"]["status"] == "done"
            assert (progress["enrollments.csv"]["status"], progress["enrollments.csv"]["lines"]) == (
                "running",
                1 + 3 * BATCH_ROWS,
            )
        elif cut == "before-the-users-sync":
            assert (progress["users.csv"]["status"], progress["users.csv"]["synced"]) == ("running", False)
            assert progress["users.csv"]["lines"] == 1 + len(files["users"])
        else:
            # Killed between the commit of users.csv's sync and the next one, which records the
            # file done: the row as that leaves it.
            assert (progress["users.csv"]["status"], progress["users.csv"]["synced"]) == ("done", True)
            assert progress["users.csv"]["counts"]["deactivated"] == 1
            progress["users.csv"] |= {"status": "running", "last_part": 0}
            with transaction(api.runtime.write_sessions) as session:
                session.execute(
                    update(ImportJob)
                    .where(ImportJob.id == reference)
                    .values(bundle=json.dumps(list(progress.values())))
                )
        assert read(api, "users")["gone"]["active"] is (cut == "before-the-users-sync"), cut
        expire_lease(api, reference)
        assert run_jobs(api.runtime) == 1
        assert outcome(api, reference) == expected, cut
        objects = api.runtime.settings.data_dir / "objects"
        assert not [p for p in stored_objects(api) if f"/work/{reference}" in p]
        kept = unzip((objects / "import-csv" / "processed" / f"{reference}.zip").read_bytes())
        assert not any("Secret#" in text or PASSWORD in text for text in kept.values()), cut


def clean() -> dict[str, list[dict[str, str]]]:
    files = roster()
    files["enrollments"] = [e for e in files["enrollments"] if not e["userSourcedId"].startswith("ghost")]
    return files


def batches(files: dict[str, list[dict[str, str]]]) -> int:
    return sum(math.ceil(len(rows) / BATCH_ROWS) for rows in files.values())


@pytest.mark.parametrize(
    ("options", "files", "checks"),
    [
        # Cut off while checking users.csv: a dry run's accepted ids were in memory only.
        ({"dryRun": "true"}, roster(), checks_before(roster(), "users") + 1),
        # Cut off while checking: nothing was written, the check starts again.
        ({"onError": "abort"}, roster(), batches(roster()) - 3),
        # Cut off while writing, every file checked: the writing resumes.
        ({"onError": "abort"}, clean(), batches(clean()) + checks_before(clean(), "users") + 1),
    ],
    ids=["dry-run", "abort-checking", "abort-writing"],
)
def test_a_dry_run_or_an_all_or_nothing_import_cut_off_ends_as_an_uncut_one(
    rostering: ApiUser, options: dict[str, str], files: dict[str, list[dict[str, str]]], checks: int
) -> None:
    rostering.runtime.settings.batch_rows = BATCH_ROWS
    content = bundle(files)
    uncut = str(upload(rostering, content, **options)["referenceId"])
    api = ApiUser.create(rostering.http, rostering.runtime, tenant="district-b")
    response = api.http.post(
        "/api/v1/upload",
        headers=api.headers,
        files={"file": ("bundle.zip", content, "application/zip")},
        data=options,
    )
    reference = str(response.json()["result"]["referenceId"])
    run_cut_off(api.runtime, reference, checks=checks)
    # Only the cut while writing left rows behind (orgs.csv and the next files, done).
    writing = "onError" in options and checks > batches(files)
    assert (len(read(api, "organizations")) > 1) is writing
    expire_lease(api, reference)
    assert run_jobs(api.runtime) == 1
    assert outcome(api, reference) == outcome(rostering, uncut)


def test_a_duplicate_enrollment_after_the_cut_of_an_initial_load_reads_as_in_an_uncut_run(
    rostering: ApiUser,
) -> None:
    files = roster()
    # e5 gives u5 the role student in k1 (line 7, before the cut); e92 (line 14, after) again.
    [e5] = [e for e in files["enrollments"] if e["sourcedId"] == "e5"]
    files["enrollments"].append(e5 | {"sourcedId": "e92"})
    rostering.runtime.settings.batch_rows = BATCH_ROWS
    content = bundle(files)
    uncut = str(upload(rostering, content)["referenceId"])
    api = ApiUser.create(rostering.http, rostering.runtime, tenant="district-b")
    response = api.http.post(
        "/api/v1/upload", headers=api.headers, files={"file": ("bundle.zip", content, "application/zip")}
    )
    reference = str(response.json()["result"]["referenceId"])
    run_cut_off(api.runtime, reference, checks=checks_before(files, "enrollments") + 3)
    expire_lease(api, reference)
    assert run_jobs(api.runtime) == 1
    assert shown(api, reference) == shown(rostering, uncut)
