"""The rostering read API shows what OneRoster files imported, under OneRoster's field names."""

from __future__ import annotations

from typing import Any

import pytest

from loadbay.db import transaction
from loadbay.models import Demographic, GroupMembership, RosterGroup, RosterUser
from tests.conftest import ApiUser
from tests.oneroster.writing import OneRosterTenant

BLANK_HEAD = {"status": "", "dateLastModified": ""}


def get(api: ApiUser, path: str) -> Any:
    response = api.http.get(f"/api/v1/rostering/{path}", headers=api.headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def tenant(rostering: ApiUser) -> OneRosterTenant:
    """The API user's own tenant (district-a), importing OneRoster files."""
    tenant = OneRosterTenant(rostering.runtime)
    orgs = [
        {"sourcedId": "d1", **BLANK_HEAD, "name": "North", "type": "district"}
        | {"identifier": "ND-01", "parentSourcedId": ""},
        {"sourcedId": "s1", **BLANK_HEAD, "name": "Hill", "type": "school"}
        | {"identifier": "", "parentSourcedId": "d1"},
    ]
    sessions = [
        {"sourcedId": "y27", **BLANK_HEAD, "title": "2026-2027", "type": "schoolYear"}
        | {"startDate": "2026-09-01", "endDate": "2027-06-30", "parentSourcedId": "", "schoolYear": "2027"},
        {"sourcedId": "t1", **BLANK_HEAD, "title": "Fall", "type": "term"}
        | {
            "startDate": "2026-09-01",
            "endDate": "2027-01-31",
            "parentSourcedId": "y27",
            "schoolYear": "2027",
        },
    ]
    courses = [
        {"sourcedId": "c1", **BLANK_HEAD, "schoolYearSourcedId": "y27", "title": "Algebra I"}
        | {"courseCode": "MA-101", "grades": "09,10", "orgSourcedId": "s1", "subjects": "Mathematics"}
        | {"subjectCodes": "02052"},
    ]
    for entity, rows in (("orgs", orgs), ("academicSessions", sessions), ("courses", courses)):
        done = tenant.run(entity, rows)
        assert done.counts["failed"] == 0, done.messages
    return tenant


def test_orgs_sessions_and_courses_read_back(rostering: ApiUser, tenant: OneRosterTenant) -> None:
    # The harness imported into the API user's own tenant.
    assert [o["organizationId"] for o in get(rostering, "organizations")["items"]] == ["root", "d1", "s1"]
    district = get(rostering, "organizations/d1")
    assert (district["type"], district["identifier"], district["parentOrganizationId"]) == (
        "district",
        "ND-01",
        "root",
    )
    assert get(rostering, "organizations/s1")["parentOrganizationId"] == "d1"
    sessions = get(rostering, "academicSessions")["items"]
    assert [s["sourcedId"] for s in sessions] == ["y27", "t1"]
    term = get(rostering, "academicSessions/t1")
    assert {k: v for k, v in term.items() if k not in ("createdAt", "updatedAt")} == {
        "sourcedId": "t1",
        "title": "Fall",
        "type": "term",
        "startDate": "2026-09-01",
        "endDate": "2027-01-31",
        "parentSourcedId": "y27",
        "schoolYear": "2027",
    }
    course = get(rostering, "courses/c1")
    assert {k: v for k, v in course.items() if k not in ("createdAt", "updatedAt")} == {
        "sourcedId": "c1",
        "title": "Algebra I",
        "schoolYearSourcedId": "y27",
        "courseCode": "MA-101",
        "grades": ["09", "10"],
        "orgSourcedId": "s1",
        "subjects": ["Mathematics"],
        "subjectCodes": ["02052"],
    }
    page = get(rostering, "courses?limit=1")
    assert ([c["sourcedId"] for c in page["items"]], page["nextCursor"]) == (["c1"], None)
    response = rostering.http.get("/api/v1/rostering/courses/nothing", headers=rostering.headers)
    assert (response.status_code, response.json()) == (
        404,
        {"message": "No course 'nothing' in this tenant."},
    )
    response = rostering.http.get("/api/v1/rostering/academicSessions/nothing", headers=rostering.headers)
    assert response.status_code == 404


def test_users_groups_memberships_and_demographics_show_their_oneroster_fields(
    rostering: ApiUser, tenant: OneRosterTenant
) -> None:
    with transaction(rostering.runtime.write_sessions) as session:
        common = {"tenant_id": tenant.tenant_id}
        session.add(
            RosterUser(
                **common,
                username="ann.lee",
                password_hash="$argon2id$v=19$secret-hash",
                organization_id="s1",
                source_id="u1",
                given_name="Ann",
                family_name="Lee",
                middle_name="May",
                identifier="ID-7",
                organization_ids="s1,d1",
                user_ids="{Fed:1234},{SIS:77}",
                agent_ids="u9",
                grades="09",
                phone="555-0100",
                sms="555-0101",
            )
        )
        session.add(
            RosterGroup(
                **common,
                name="k1",
                description="Algebra I, 1st period",
                organization_id="s1",
                class_code="ALG-1",
                class_type="scheduled",
                course_id="c1",
                term_ids="t1,t2",
                grades="09",
                subjects="Mathematics",
            )
        )
        session.add(
            GroupMembership(
                **common,
                username="ann.lee",
                group_name="k1",
                role="TEST_TAKER",
                source_id="e1",
                user_source_id="u1",
                school_id="s1",
                is_primary=False,
                begin_date="2026-09-01",
                end_date="2027-01-31",
            )
        )
        session.add(Demographic(**common, source_id="u1", birth_date="2011-04-02", sex="female", asian=True))
    user = get(rostering, "users/ann.lee")
    assert {k: user[k] for k in ("sourcedId", "givenName", "familyName", "middleName", "identifier")} == {
        "sourcedId": "u1",
        "givenName": "Ann",
        "familyName": "Lee",
        "middleName": "May",
        "identifier": "ID-7",
    }
    assert user["organizationIds"] == ["s1", "d1"]
    assert user["userIds"] == ["{Fed:1234}", "{SIS:77}"]
    assert (user["agentSourcedIds"], user["grades"]) == (["u9"], ["09"])
    assert (user["phone"], user["sms"], user["hasPassword"]) == ("555-0100", "555-0101", True)
    raw = rostering.http.get("/api/v1/rostering/users", headers=rostering.headers).text
    assert "argon2" not in raw
    assert "secret-hash" not in raw
    assert not any("password" in key.lower() and key != "hasPassword" for key in user)
    group = get(rostering, "groups/k1")
    assert {k: group[k] for k in ("classCode", "classType", "courseSourcedId", "termSourcedIds")} == {
        "classCode": "ALG-1",
        "classType": "scheduled",
        "courseSourcedId": "c1",
        "termSourcedIds": ["t1", "t2"],
    }
    assert (group["grades"], group["subjects"]) == (["09"], ["Mathematics"])
    [link] = get(rostering, "memberships?groupName=k1")["items"]
    assert {k: v for k, v in link.items() if k != "createdAt"} == {
        "username": "ann.lee",
        "groupName": "k1",
        "role": "TEST_TAKER",
        "sourcedId": "e1",
        "userSourcedId": "u1",
        "schoolSourcedId": "s1",
        "primary": False,
        "beginDate": "2026-09-01",
        "endDate": "2027-01-31",
    }
    demographics = get(rostering, "demographics/u1")
    assert (demographics["birthDate"], demographics["sex"], demographics["asian"]) == (
        "2011-04-02",
        "female",
        True,
    )
    assert demographics["white"] is None
    assert "demographicRaceTwoOrMoreRaces" in demographics
