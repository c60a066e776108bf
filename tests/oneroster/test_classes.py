"""classes.csv: classes as groups of their school, with course and terms checked, bulk and delta."""

from __future__ import annotations

import pytest

from loadbay.db import transaction
from loadbay.models import AcademicSession, Course, RosterGroup
from loadbay.runtime import Runtime
from tests.oneroster.test_orgs import org
from tests.oneroster.writing import OneRosterTenant

DELTA_AT = "2026-12-01T08:00:00Z"


def klass(
    sourced_id: str,
    title: str,
    *,
    course: str = "c1",
    school: str = "s1",
    terms: str = "t1",
    kind: str = "scheduled",
    **cells: str,
) -> dict[str, str]:
    row = {"sourcedId": sourced_id, "status": "", "dateLastModified": "", "title": title, "grades": ""}
    row |= {"courseSourcedId": course, "classCode": "", "classType": kind, "location": "Room 1"}
    row |= {"schoolSourcedId": school, "termSourcedIds": terms, "subjects": "", "subjectCodes": ""}
    row |= {"periods": "1"} | cells
    return row


def add_courses_and_terms(tenant: OneRosterTenant, courses: list[str], terms: list[str]) -> None:
    """Courses and academic sessions as their own files would store them (their writers are
    another engineer's)."""
    with transaction(tenant.runtime.write_sessions) as session:
        for course in courses:
            session.add(Course(tenant_id=tenant.tenant_id, source_id=course, title=course, org_id="s1"))
        for term in terms:
            session.add(
                AcademicSession(
                    tenant_id=tenant.tenant_id,
                    source_id=term,
                    title=term,
                    session_type="term",
                    start_date="2026-09-01",
                    end_date="2027-01-31",
                    school_year="2027",
                )
            )


@pytest.fixture
def tenant(runtime: Runtime) -> OneRosterTenant:
    tenant = OneRosterTenant(runtime)
    done = tenant.run("orgs", [org("s1", "Hill School"), org("s2", "Vale School")])
    assert done.counts["created"] == 2, done.messages
    add_courses_and_terms(tenant, ["c1", "c2"], ["t1", "t2"])
    return tenant


def test_a_bulk_file_creates_groups_and_an_identical_one_changes_nothing(tenant: OneRosterTenant) -> None:
    rows = [
        klass(
            "k1",
            "Algebra",
            terms="t1, t2,t1",
            grades="09,10",
            classCode="ALG-1",
            subjects="Mathematics, Algebra",
            subjectCodes="MTH",
        ),
        klass("k2", "Algebra", course="c2", school="s2", kind="homeroom"),
    ]
    done = tenant.run("classes", rows)
    assert done.job.status == "processed", done.messages
    assert done.counts["created"] == 2
    groups = {g.name: g for g in tenant.rows(RosterGroup)}
    k1 = groups["k1"]
    assert (k1.description, k1.organization_id, k1.course_id, k1.class_type) == (
        "Algebra",
        "s1",
        "c1",
        "scheduled",
    )
    assert (k1.term_ids, k1.grades, k1.class_code, k1.subjects) == (
        "t1,t2",
        "09,10",
        "ALG-1",
        "Mathematics,Algebra",
    )
    assert k1.active is True
    assert (groups["k2"].organization_id, groups["k2"].class_type, groups["k2"].term_ids) == (
        "s2",
        "homeroom",
        "t1",
    )
    assert groups["k2"].class_code is None

    again = tenant.run("classes", rows)
    assert again.counts["unchanged"] == 2, again.messages
    rows[1]["title"] = "Algebra II"
    changed = tenant.run("classes", rows)
    assert (changed.counts["updated"], changed.counts["unchanged"]) == (1, 1)
    assert tenant.rows(RosterGroup, name="k2")[0].description == "Algebra II"


def test_bad_type_unknown_references_and_tobedeleted_in_bulk_are_row_errors(tenant: OneRosterTenant) -> None:
    done = tenant.run(
        "classes",
        [
            klass("k1", "Art", kind="lecture"),
            klass("k2", "Art", course="nocourse"),
            klass("k3", "Art", school="noschool"),
            klass("k4", "Art", terms="t1,gone1, gone2"),
            klass("k5", "Art", status="tobedeleted"),
            klass("k6", "Art", terms=" , "),
            klass("k7", "Art"),
        ],
    )
    assert done.counts["failed"] == 6, done.messages
    assert done.counts["created"] == 1
    assert [(line, column, code) for line, column, code, _, _ in done.messages] == [
        (2, "classType", "not_allowed"),
        (3, "courseSourcedId", "unknown_reference"),
        (4, "schoolSourcedId", "unknown_reference"),
        (5, "termSourcedIds", "unknown_reference"),
        (6, "status", "not_allowed"),
        (7, "termSourcedIds", "required"),
    ]
    texts = [text for *_, text in done.messages]
    assert "'nocourse' is not the sourcedId of a course in courses.csv" in texts[1]
    assert "'noschool' is not the sourcedId of an org in orgs.csv" in texts[2]
    assert "'gone1', 'gone2' is not the sourcedId of an academic session in academicSessions.csv" in texts[3]
    assert [g.name for g in tenant.rows(RosterGroup)] == ["k7"]


def test_a_delta_deactivates_tobedeleted_classes_and_upserts_active_ones(tenant: OneRosterTenant) -> None:
    tenant.run("classes", [klass("k1", "Art"), klass("k2", "Music")])
    done = tenant.run(
        "classes",
        [
            klass("k1", "Art", status="tobedeleted", dateLastModified=DELTA_AT),
            klass("k2", "Music and Dance", status="active", dateLastModified=DELTA_AT),
            klass("k3", "Drama", status="active", dateLastModified=DELTA_AT),
            klass("k4", "Gone", status="tobedeleted", dateLastModified=DELTA_AT),
        ],
        mode="delta",
    )
    assert done.counts == {
        "created": 1,
        "updated": 1,
        "unchanged": 1,
        "failed": 0,
        "deactivated": 1,
        "removed": 0,
    }, done.messages
    groups = {g.name: g for g in tenant.rows(RosterGroup)}
    assert groups["k1"].active is False
    assert groups["k2"].description == "Music and Dance"
    assert groups["k3"].active is True
    assert "k4" not in groups


def test_a_dry_run_writes_nothing_and_remembers_the_classes(tenant: OneRosterTenant) -> None:
    done = tenant.run("classes", [klass("k1", "Art"), klass("k2", "Art", course="nocourse")], dry_run=True)
    assert (done.counts["created"], done.counts["failed"]) == (1, 1), done.messages
    assert tenant.rows(RosterGroup) == []
