"""A delta's tobedeleted row needs its sourcedId, status and dateLastModified only, in every file."""

from __future__ import annotations

import pytest

from loadbay.models import (
    AcademicSession,
    Course,
    Demographic,
    GroupMembership,
    OrgUnit,
    RosterGroup,
    RosterUser,
)
from loadbay.runtime import Runtime
from tests.oneroster.bundles import rows
from tests.oneroster.writing import OneRosterTenant

WHEN = "2026-12-01T08:00:00Z"
BULK = {
    "orgs": {"sourcedId": "s1", "name": "Hill School", "type": "school"},
    "academicSessions": {
        "sourcedId": "t1",
        "title": "Fall",
        "type": "term",
        "startDate": "2026-09-01",
        "endDate": "2026-12-20",
        "schoolYear": "2027",
    },
    "courses": {"sourcedId": "c1", "title": "Maths", "orgSourcedId": "s1"},
    "classes": {
        "sourcedId": "k1",
        "title": "Maths 1",
        "courseSourcedId": "c1",
        "classType": "scheduled",
        "schoolSourcedId": "s1",
        "termSourcedIds": "t1",
    },
    "users": {
        "sourcedId": "u1",
        "enabledUser": "true",
        "orgSourcedIds": "s1",
        "role": "student",
        "username": "ada",
        "givenName": "Ada",
        "familyName": "Lovelace",
    },
    "enrollments": {
        "sourcedId": "e1",
        "classSourcedId": "k1",
        "schoolSourcedId": "s1",
        "userSourcedId": "u1",
        "role": "student",
    },
    "demographics": {"sourcedId": "u1", "birthDate": "2012-05-01", "sex": "female"},
}


@pytest.fixture
def tenant(runtime: Runtime) -> OneRosterTenant:
    return OneRosterTenant(runtime)


def test_bare_tobedeleted_rows_deactivate_or_remove_in_every_file(tenant: OneRosterTenant) -> None:
    for entity, record in BULK.items():
        done = tenant.run(entity, rows(entity, record))
        assert done.job.status == "processed", (entity, done.messages)
        assert done.counts["created"] == 1, (entity, done.messages)
    # In reverse order, as a district takes things away: only the head of each row is filled in.
    expected = {"demographics": "removed", "enrollments": "removed", "users": "deactivated"}
    expected |= {"classes": "deactivated", "courses": "removed", "academicSessions": "removed"}
    expected |= {"orgs": "deactivated"}
    for entity, outcome in expected.items():
        bare = {"sourcedId": BULK[entity]["sourcedId"], "status": "tobedeleted", "dateLastModified": WHEN}
        done = tenant.run(entity, rows(entity, bare), mode="delta")
        assert done.messages == [], entity
        assert done.counts[outcome] == 1, (entity, done.counts)
    assert not tenant.rows(Demographic)
    assert not tenant.rows(GroupMembership)
    assert not tenant.rows(Course)
    assert not tenant.rows(AcademicSession)
    assert [u.active for u in tenant.rows(RosterUser)] == [False]
    assert [g.active for g in tenant.rows(RosterGroup)] == [False]
    assert [o.active for o in tenant.rows(OrgUnit, org_id="s1")] == [False]


def test_a_bare_active_row_still_needs_its_cells(tenant: OneRosterTenant) -> None:
    bare = {"sourcedId": "s9", "status": "active", "dateLastModified": WHEN}
    done = tenant.run("orgs", rows("orgs", bare), mode="delta")
    assert done.counts["failed"] == 1
    assert {(column, code) for _, column, code, _, _ in done.messages} == {
        ("name", "required"),
        ("type", "required"),
    }


def test_metadata_extension_columns_are_accepted(tenant: OneRosterTenant) -> None:
    record = {**BULK["orgs"], "metadata.district.code": "X7"}
    done = tenant.run("orgs", [{**rows("orgs", record)[0], "metadata.district.code": "X7"}])
    assert done.job.status == "processed", done.messages
    assert done.counts["created"] == 1
