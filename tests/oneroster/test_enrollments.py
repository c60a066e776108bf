"""enrollments.csv: users' roles in classes by sourcedId, references checked, bulk and delta."""

from __future__ import annotations

import pytest

from loadbay.db import transaction
from loadbay.models import GroupMembership, RosterUser
from loadbay.runtime import Runtime
from tests.oneroster.test_classes import DELTA_AT, add_courses_and_terms, klass
from tests.oneroster.test_orgs import org
from tests.oneroster.writing import OneRosterTenant


def enrollment(
    sourced_id: str, klass_id: str, user: str, role: str = "student", *, school: str = "s1", **cells: str
) -> dict[str, str]:
    row = {"sourcedId": sourced_id, "status": "", "dateLastModified": "", "classSourcedId": klass_id}
    row |= {"schoolSourcedId": school, "userSourcedId": user, "role": role, "primary": ""}
    row |= {"beginDate": "", "endDate": ""} | cells
    return row


def add_users(tenant: OneRosterTenant, users: dict[str, str]) -> None:
    """Users (sourcedId → username) as users.csv would store them (its writer is another engineer's)."""
    with transaction(tenant.runtime.write_sessions) as session:
        for source_id, username in users.items():
            session.add(
                RosterUser(
                    tenant_id=tenant.tenant_id, username=username, organization_id="s1", source_id=source_id
                )
            )


@pytest.fixture
def tenant(runtime: Runtime) -> OneRosterTenant:
    tenant = OneRosterTenant(runtime)
    tenant.run("orgs", [org("s1", "Hill School"), org("s2", "Vale School")])
    add_courses_and_terms(tenant, ["c1"], ["t1"])
    done = tenant.run("classes", [klass("k1", "Art"), klass("k2", "Music", school="s2")])
    assert done.counts["created"] == 2, done.messages
    add_users(tenant, {"u1": "ada", "u2": "bob", "u3": "cy"})
    return tenant


def links(tenant: OneRosterTenant) -> dict[str, tuple[object, ...]]:
    return {
        m.source_id: (m.username, m.group_name, m.role, m.user_source_id, m.school_id)
        for m in tenant.rows(GroupMembership)
    }


def test_a_bulk_file_links_users_by_sourcedid_and_an_identical_one_changes_nothing(
    tenant: OneRosterTenant,
) -> None:
    rows = [
        enrollment("e1", "k1", "u1", primary="", beginDate="2026-09-01", endDate="2027-01-31"),
        enrollment("e2", "k1", "u2", "teacher", primary="true"),
        enrollment("e3", "k2", "u1", school="s2", primary="FALSE"),
    ]
    done = tenant.run("enrollments", rows)
    assert done.job.status == "processed", done.messages
    assert done.counts["created"] == 3
    assert links(tenant) == {
        "e1": ("ada", "k1", "student", "u1", "s1"),
        "e2": ("bob", "k1", "teacher", "u2", "s1"),
        "e3": ("ada", "k2", "student", "u1", "s2"),
    }
    stored = {m.source_id: m for m in tenant.rows(GroupMembership)}
    assert (stored["e1"].is_primary, stored["e1"].begin_date, stored["e1"].end_date) == (
        None,
        "2026-09-01",
        "2027-01-31",
    )
    assert (stored["e2"].is_primary, stored["e3"].is_primary, stored["e2"].begin_date) == (True, False, None)

    again = tenant.run("enrollments", rows)
    assert again.counts["unchanged"] == 3, again.messages
    rows[0]["endDate"] = "2027-06-30"
    changed = tenant.run("enrollments", rows)
    assert (changed.counts["updated"], changed.counts["unchanged"]) == (1, 2)
    assert tenant.rows(GroupMembership, source_id="e1")[0].end_date == "2027-06-30"


def test_row_errors_name_the_missing_sourcedid_and_its_file(tenant: OneRosterTenant) -> None:
    done = tenant.run(
        "enrollments",
        [
            enrollment("e1", "k1", "u1", "guardian"),
            enrollment("e2", "nope", "u1"),
            enrollment("e3", "k1", "u1", school="noschool"),
            enrollment("e4", "k1", "ghost"),
            enrollment("e5", "k1", "u1", primary="yes"),
            enrollment("e6", "k1", "u1", beginDate="2027-01-31", endDate="2026-09-01"),
            enrollment("e7", "k1", "u1", beginDate="1.9.2026"),
            enrollment("e8", "k1", "u1", status="tobedeleted"),
            enrollment("e9", "k1", "u1"),
        ],
    )
    assert done.counts["failed"] == 8, done.messages
    assert done.counts["created"] == 1
    assert [(line, column, code) for line, column, code, _, _ in done.messages] == [
        (2, "role", "not_allowed"),
        (3, "classSourcedId", "unknown_reference"),
        (4, "schoolSourcedId", "unknown_reference"),
        (5, "userSourcedId", "unknown_reference"),
        (6, "primary", "invalid_boolean"),
        (7, "endDate", "invalid_value"),
        (8, "beginDate", "invalid_format"),
        (9, "status", "not_allowed"),
    ]
    texts = [text for *_, text in done.messages]
    assert "'nope' is not the sourcedId of a class in classes.csv" in texts[1]
    assert "'noschool' is not the sourcedId of an org in orgs.csv" in texts[2]
    assert "'ghost' is not the sourcedId of a user in users.csv" in texts[3]
    assert "'2026-09-01' is before beginDate '2027-01-31'" in texts[5]
    assert list(links(tenant)) == ["e9"]


def test_a_delta_moves_removes_and_adds_enrollments_and_leaves_tao_links(tenant: OneRosterTenant) -> None:
    with transaction(tenant.runtime.write_sessions) as session:
        session.add(
            GroupMembership(tenant_id=tenant.tenant_id, username="cy", group_name="k1", role="TEST_TAKER")
        )
    tenant.run("enrollments", [enrollment("e1", "k1", "u1"), enrollment("e2", "k1", "u2")])
    done = tenant.run(
        "enrollments",
        [
            enrollment("e1", "k2", "u1", school="s2", status="active", dateLastModified=DELTA_AT),
            enrollment("e2", "k1", "u2", status="tobedeleted", dateLastModified=DELTA_AT),
            enrollment("e3", "k1", "u3", "teacher", status="active", dateLastModified=DELTA_AT),
            # Removing what was never imported, whatever it names, changes nothing.
            enrollment("e4", "gone", "ghost", status="tobedeleted", dateLastModified=DELTA_AT),
        ],
        mode="delta",
    )
    assert done.counts == {
        "created": 1,
        "updated": 1,
        "unchanged": 1,
        "failed": 0,
        "deactivated": 0,
        "removed": 1,
    }, done.messages
    assert links(tenant) == {
        None: ("cy", "k1", "TEST_TAKER", None, None),
        "e1": ("ada", "k2", "student", "u1", "s2"),
        "e3": ("cy", "k1", "teacher", "u3", "s1"),
    }


def test_a_dry_run_writes_nothing(tenant: OneRosterTenant) -> None:
    done = tenant.run(
        "enrollments", [enrollment("e1", "k1", "u1"), enrollment("e2", "k1", "ghost")], dry_run=True
    )
    assert (done.counts["created"], done.counts["failed"]) == (1, 1), done.messages
    assert links(tenant) == {}


def test_a_user_has_each_role_in_a_class_once(tenant: OneRosterTenant) -> None:
    first = tenant.run("enrollments", [enrollment("e1", "k1", "u1"), enrollment("e2", "k1", "u1")])
    assert (first.counts["created"], first.counts["failed"]) == (1, 1), first.messages
    assert first.messages[0][:3] == (3, "classSourcedId", "duplicate_key")
    assert (
        "another enrollment of this file gives user 'u1' the role student in class 'k1'"
        in first.messages[0][4]
    )
    with transaction(tenant.runtime.write_sessions) as session:
        session.add(
            GroupMembership(tenant_id=tenant.tenant_id, username="bob", group_name="k1", role="teacher")
        )
    done = tenant.run(
        "enrollments",
        [
            enrollment("e1", "k1", "u1"),
            enrollment("e3", "k1", "u1"),
            enrollment("e4", "k1", "u2", "teacher"),
            enrollment("e5", "k1", "u2"),
        ],
    )
    assert [(line, code) for line, _, code, _, _ in done.messages] == [
        (3, "duplicate_key"),
        (4, "duplicate_key"),
    ]
    assert "enrollment 'e1' gives user 'u1'" in done.messages[0][4]
    assert "a TAO group link gives user 'u2' the role teacher" in done.messages[1][4]
    assert (done.counts["unchanged"], done.counts["created"]) == (1, 1)
    assert sorted(s for s in links(tenant) if s) == ["e1", "e5"]
