"""mode=sync (issue 14): what a full file leaves out is deactivated or removed, within changeThreshold.

Through the TAO upload endpoint and a real worker run, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy import func, select

from loadbay.models import GroupMembership, OrgUnit, RosterGroup, RosterUser, Tenant, TestSession
from tests.conftest import ApiUser, counts, expire_lease, run_cut_off, run_jobs

GROUPS_HEADER = "group_name,group_description,group_organizationId\n"


def _groups(names: range | list[str]) -> str:
    return GROUPS_HEADER + "".join(f"g{n},Group {n},root\n" for n in names)


def _users(names: list[str]) -> str:
    rows = "".join(f"{n},{n.title()},Wonder#land1,{n}@example.org,root\n" for n in names)
    return "user_username,user_name,user_password,user_email,user_organizationId\n" + rows


def _result(api: ApiUser, status: dict[str, Any]) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(api.result_csv(str(status["referenceId"])))))


def _active(api: ApiUser, model: Any, key: str) -> dict[str, bool]:
    with api.runtime.sessions() as session:
        return {getattr(row, key): row.active for row in session.scalars(select(model))}


def _sync(api: ApiUser, content: str, **options: str) -> dict[str, Any]:
    return api.import_file(content, mode="sync", **options)


def test_sync_deactivates_exactly_the_users_the_file_left_out(rostering: ApiUser) -> None:
    names = [f"user{n}" for n in range(10)]
    assert rostering.import_file(_users(names))["status"] == "processed"
    # One of ten left out (10%, the default threshold allows it), one new user named.
    status = _sync(rostering, _users([*names[1:], "newcomer"]))
    assert status["status"] == "processed", status
    assert status["counts"]["created"] == 1
    assert status["counts"]["unchanged"] == 9
    assert status["counts"]["deactivated"] == 1
    assert status["mode"] == "sync"
    active = _active(rostering, RosterUser, "username")
    assert [name for name, on in active.items() if not on] == ["user0"]
    assert active["newcomer"] is True
    rows = _result(rostering, status)
    assert [(r["line"], r["outcome"], r["key"]) for r in rows if r["outcome"] == "deactivated"] == [
        ("", "deactivated", "user0")
    ]
    assert rows[-1]["user_username"] == "user0"
    assert rows[-1]["messages"] == "not in the file (mode=sync)"


def test_sync_over_the_threshold_writes_nothing_and_gives_both_counts(rostering: ApiUser) -> None:
    assert rostering.import_file(_groups(range(100)))["status"] == "processed"
    # 11 of 100 would go, the threshold is 10%: not even the new group is written.
    status = _sync(rostering, _groups([*range(11, 100), 500]))
    assert status["status"] == "failed", status
    message = status["messages"][0]
    assert "would deactivate 11 of the tenant's 100 active groups (11.0%)" in message
    assert "changeThreshold=10%" in message
    assert status["counts"] == counts()
    active = _active(rostering, RosterGroup, "name")
    assert len(active) == 100
    assert all(active.values())
    # With a threshold that allows it, the same file goes through.
    status = _sync(rostering, _groups([*range(11, 100), 500]), changeThreshold="15")
    assert status["status"] == "processed", status
    assert (status["counts"]["created"], status["counts"]["deactivated"]) == (1, 11)
    assert status["changeThreshold"] == 15.0


def test_sync_never_touches_another_tenant(rostering: ApiUser) -> None:
    other = ApiUser.create(rostering.http, rostering.runtime, tenant="district-b")
    assert other.import_file(_groups(range(5)))["status"] == "processed"
    assert rostering.import_file(_groups(range(10)))["status"] == "processed"
    status = _sync(rostering, _groups(range(1, 10)))
    assert status["counts"]["deactivated"] == 1
    with rostering.runtime.sessions() as session:
        inactive = session.scalars(select(RosterGroup).where(RosterGroup.active.is_(False))).all()
        tenants = dict(session.execute(select(Tenant.name, Tenant.id)).all())
    assert [(g.name, g.tenant_id) for g in inactive] == [("g0", tenants["district-a"])]


def test_a_synced_file_that_names_a_deactivated_group_turns_it_back_on(rostering: ApiUser) -> None:
    assert rostering.import_file(_groups(range(10)))["status"] == "processed"
    assert _sync(rostering, _groups(range(1, 10)))["counts"]["deactivated"] == 1
    status = _sync(rostering, _groups(range(10)))
    assert (status["counts"]["updated"], status["counts"]["deactivated"]) == (1, 0)
    assert all(_active(rostering, RosterGroup, "name").values())


def test_dry_run_sync_lists_what_it_would_deactivate_and_changes_nothing(rostering: ApiUser) -> None:
    assert rostering.import_file(_groups(range(10)))["status"] == "processed"
    status = _sync(rostering, _groups(range(1, 10)), dryRun="true")
    assert status["status"] == "processed"
    assert status["counts"]["deactivated"] == 1
    assert [r["key"] for r in _result(rostering, status) if r["outcome"] == "deactivated"] == ["g0"]
    assert all(_active(rostering, RosterGroup, "name").values())


def test_a_row_that_fails_still_names_its_key(rostering: ApiUser) -> None:
    assert rostering.import_file(_groups(range(10)))["status"] == "processed"
    # g3's organization does not exist: its row fails, but the group is in the file.
    content = _groups(range(1, 10)).replace("g3,Group 3,root", "g3,Group 3,nowhere")
    status = _sync(rostering, content)
    assert (status["counts"]["failed"], status["counts"]["deactivated"]) == (1, 1)
    assert [n for n, on in _active(rostering, RosterGroup, "name").items() if not on] == ["g0"]


def test_a_file_that_fails_as_a_whole_deactivates_nothing(rostering: ApiUser) -> None:
    assert rostering.import_file(_groups(range(10)))["status"] == "processed"
    # All or nothing, one bad row: nothing is written, so nothing is deactivated either.
    content = _groups(range(1, 10)).replace("g3,Group 3,root", "g3,Group 3,nowhere")
    status = _sync(rostering, content, onError="abort")
    assert status["status"] == "failed"
    assert status["counts"]["deactivated"] == 0
    # A file that cannot be read at all, with a threshold that would let any sync through.
    status = _sync(rostering, GROUPS_HEADER + 'g1,"unclosed,root\n', changeThreshold="100")
    assert status["status"] == "failed"
    assert all(_active(rostering, RosterGroup, "name").values())


def test_sync_of_links_removes_the_memberships_left_out_and_keeps_the_users(rostering: ApiUser) -> None:
    assert rostering.import_file(_users(["ann", "bob"]))["status"] == "processed"
    assert rostering.import_file(_groups(range(2)))["status"] == "processed"
    header = "user_username,group_name,group_role\n"
    links = ["ann,g0,TEST_TAKER", "ann,g1,GRADER", "bob,g0,TEST_TAKER"]
    assert rostering.import_file(header + "\n".join(links) + "\n")["counts"]["created"] == 3
    status = _sync(rostering, header + "\n".join(links[:2]) + "\n", changeThreshold="50")
    assert status["status"] == "processed", status
    assert status["counts"]["removed"] == 1
    rows = _result(rostering, status)
    assert [(r["outcome"], r["key"]) for r in rows][-1] == ("removed", "bob / g0 / TEST_TAKER")
    with rostering.runtime.sessions() as session:
        kept = {(m.username, m.group_name, m.role) for m in session.scalars(select(GroupMembership))}
        users = session.scalar(select(func.count()).select_from(RosterUser))
    assert kept == {("ann", "g0", "TEST_TAKER"), ("ann", "g1", "GRADER")}
    assert users == 2


def test_sync_of_sessions_removes_the_sessions_left_out(rostering: ApiUser) -> None:
    header = "session_name,session_deliveryId,group_name,group_organizationId\n"
    rows = [f"s{n},delivery-1,g{n},root" for n in range(4)]
    assert rostering.import_file(header + "\n".join(rows) + "\n")["status"] == "processed"
    status = _sync(rostering, header + "\n".join(rows[1:]) + "\n", changeThreshold="25")
    assert status["status"] == "processed", status
    assert status["counts"]["removed"] == 1
    with rostering.runtime.sessions() as session:
        names = set(session.scalars(select(TestSession.name)))
        groups = session.scalar(select(func.count()).select_from(RosterGroup))
    assert names == {"s1", "s2", "s3"}
    assert groups == 4


def test_sync_of_organizations_keeps_root_and_the_units_it_creates(rostering: ApiUser) -> None:
    header = "hierarchy_organizationId,hierarchy_organizationName,hierarchy_parentOrganizationId\n"
    units = [f"u{n},Unit {n},root" for n in range(4)]
    assert rostering.import_file(header + "\n".join(units) + "\n")["status"] == "processed"
    # u0 left out; a unit without an id gets a generated one and is not "left out".
    status = _sync(rostering, header + "\n".join(units[1:]) + "\n,Unnamed id,root\n", changeThreshold="50")
    assert status["status"] == "processed", status
    assert (status["counts"]["created"], status["counts"]["deactivated"]) == (1, 1)
    active = _active(rostering, OrgUnit, "org_id")
    assert [org for org, on in active.items() if not on] == ["u0"]
    assert active["root"] is True
    # Named again by any organizations file, the unit is active again.
    status = rostering.import_file(header + units[0] + "\n")
    assert status["counts"]["updated"] == 1
    assert _active(rostering, OrgUnit, "org_id")["u0"] is True


def test_an_organizations_sync_without_ids_is_refused_and_takes_nothing_away(rostering: ApiUser) -> None:
    header = "hierarchy_organizationId,hierarchy_organizationName,hierarchy_parentOrganizationId\n"
    assert rostering.import_file(header + "u1,Unit 1,root\n")["status"] == "processed"
    status = _sync(
        rostering,
        "hierarchy_organizationName,hierarchy_parentOrganizationId\nFresh,root\n",
        changeThreshold="100",
    )
    assert status["status"] == "failed", status
    assert status["messages"] == [
        "mode=sync compares the file's keys with the stored ones, and the file has no "
        "hierarchy_organizationId column; add it, or upload the file with mode=merge."
    ]
    assert all(_active(rostering, OrgUnit, "org_id").values())


def test_a_sync_of_links_does_not_turn_back_on_users_an_earlier_sync_deactivated(rostering: ApiUser) -> None:
    assert rostering.import_file(_users(["ann", "bob"]))["status"] == "processed"
    assert rostering.import_file(_groups(range(1)))["status"] == "processed"
    assert _sync(rostering, _users(["ann"]), changeThreshold="50")["counts"]["deactivated"] == 1
    # A full list of links naming bob: the links are the file's full list, the users are not.
    header = "user_username,user_name,user_password,user_email,user_organizationId,group_name,group_role\n"
    rows = "ann,Ann,Wonder#land1,ann@example.org,root,g0,TEST_TAKER\nbob,Bob,Wonder#land1,bob@example.org,root,g0,TEST_TAKER\n"
    status = _sync(rostering, header + rows)
    assert status["status"] == "processed", status
    assert _active(rostering, RosterUser, "username") == {"ann": True, "bob": False}


# 12 rows in batches of 3: four batch checks, then the sync's, then the ending's.
@pytest.mark.parametrize("checks", [4, 5], ids=["killed-before-the-sync", "killed-after-the-sync"])
def test_a_sync_cut_off_by_a_crash_ends_as_an_uncut_one(rostering: ApiUser, checks: int) -> None:
    assert rostering.import_file(_groups(range(15)))["status"] == "processed"
    rostering.runtime.settings.batch_rows = 3
    uncut = _sync(rostering, _groups(range(12)), changeThreshold="50")
    assert uncut["counts"]["deactivated"] == 3
    # The same three groups deactivated again, by a run cut off and taken over.
    assert _sync(rostering, _groups(range(15)))["counts"]["updated"] == 3
    reference = str(rostering.upload(_groups(range(12)), mode="sync", changeThreshold="50")["referenceId"])
    run_cut_off(rostering.runtime, reference, checks=checks)
    expire_lease(rostering, reference)
    assert run_jobs(rostering.runtime) == 1
    resumed = rostering.status(reference)
    assert resumed["status"] == "processed"
    assert resumed["counts"] == uncut["counts"]
    assert _result(rostering, resumed) == _result(rostering, uncut)
    assert sorted(n for n, on in _active(rostering, RosterGroup, "name").items() if not on) == [
        "g12",
        "g13",
        "g14",
    ]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"mode": "mirror"}, "mode must be 'merge' (the default) or 'sync', not 'mirror'."),
        ({"mode": "sync", "changeThreshold": "lots"}, "changeThreshold must be a percentage from 0 to 100"),
        ({"mode": "sync", "changeThreshold": "101"}, "changeThreshold must be a percentage from 0 to 100"),
        ({"changeThreshold": "5"}, "changeThreshold applies to mode=sync only"),
    ],
)
def test_bad_sync_options_are_refused_before_anything_is_queued(
    rostering: ApiUser, options: dict[str, str], expected: str
) -> None:
    response = rostering.http.post(
        "/api/v1/upload",
        headers=rostering.headers,
        files={"file": ("groups.csv", _groups(range(2)).encode(), "text/csv")},
        data=options,
    )
    assert response.status_code == 400
    assert expected in response.json()["message"]
    assert rostering.http.get("/api/v1/imports", headers=rostering.headers).json()["items"] == []
