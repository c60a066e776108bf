"""courses.csv: org and school year references, multi-valued cells, bulk and delta, sync."""

from __future__ import annotations

import pytest

from loadbay.models import Course
from loadbay.runtime import Runtime
from tests.oneroster.writing import OneRosterTenant

CHANGED = "2026-12-01T08:00:00Z"


def course(sourced_id: str, title: str, org: str = "s1", **cells: str) -> dict[str, str]:
    row = {"sourcedId": sourced_id, "status": "", "dateLastModified": "", "schoolYearSourcedId": "y27"}
    row |= {"title": title, "courseCode": "", "grades": "", "orgSourcedId": org, "subjects": ""}
    return row | {"subjectCodes": ""} | cells


@pytest.fixture
def tenant(runtime: Runtime) -> OneRosterTenant:
    tenant = OneRosterTenant(runtime)
    orgs = [
        {"sourcedId": "d1", "status": "", "dateLastModified": "", "name": "North", "type": "district"},
        {"sourcedId": "s1", "status": "", "dateLastModified": "", "name": "Hill", "type": "school"},
    ]
    assert tenant.run("orgs", orgs).counts["created"] == 2
    year = {"sourcedId": "y27", "status": "", "dateLastModified": "", "title": "2026-2027"}
    year |= {"type": "schoolYear", "startDate": "2026-09-01", "endDate": "2027-06-30", "schoolYear": "2027"}
    assert tenant.run("academicSessions", [year]).counts["created"] == 1
    return tenant


def stored(tenant: OneRosterTenant) -> dict[str, Course]:
    return {c.source_id: c for c in tenant.rows(Course)}


def test_a_bulk_file_creates_courses_with_multi_valued_cells(tenant: OneRosterTenant) -> None:
    done = tenant.run(
        "courses",
        [
            course(
                "c1",
                "Algebra I",
                courseCode="MA-101",
                grades="09, 10,09,",
                subjects="Mathematics,Algebra",
                subjectCodes="02052",
            ),
            course("c2", "District Art", "d1", schoolYearSourcedId=""),
        ],
    )
    assert done.job.status == "processed", done.messages
    assert done.counts["created"] == 2
    courses = stored(tenant)
    algebra = courses["c1"]
    assert (algebra.title, algebra.course_code, algebra.org_id) == ("Algebra I", "MA-101", "s1")
    assert algebra.school_year_id == "y27"
    assert algebra.grades == "09,10"
    assert (algebra.subjects, algebra.subject_codes) == ("Mathematics,Algebra", "02052")
    art = courses["c2"]
    assert (art.school_year_id, art.course_code, art.grades, art.subjects) == (None, None, None, None)


def test_a_second_file_updates_and_leaves_identical_rows_unchanged(tenant: OneRosterTenant) -> None:
    tenant.run("courses", [course("c1", "Algebra I", grades="09"), course("c2", "Art")])
    done = tenant.run(
        "courses", [course("c1", "Algebra I", grades="09"), course("c2", "Art", grades="10,11")]
    )
    assert (done.counts["unchanged"], done.counts["updated"], done.counts["created"]) == (1, 1, 0)
    assert stored(tenant)["c2"].grades == "10,11"


def test_unknown_references_and_bulk_tobedeleted_are_row_errors(tenant: OneRosterTenant) -> None:
    done = tenant.run(
        "courses",
        [
            course("c1", "Algebra I", "nowhere"),
            course("c2", "Art", schoolYearSourcedId="y99"),
            course("c3", "Root course", "root"),
            course("c4", "Music", orgSourcedId=""),
            course("c5", "Drama", status="tobedeleted"),
            course("c6", "Biology"),
        ],
    )
    assert done.counts["failed"] == 5, done.messages
    assert done.counts["created"] == 1
    assert [(line, column, code) for line, column, code, _, _ in done.messages] == [
        (2, "orgSourcedId", "unknown_reference"),
        (3, "schoolYearSourcedId", "unknown_reference"),
        (4, "orgSourcedId", "unknown_reference"),
        (5, "orgSourcedId", "required"),
        (6, "status", "not_allowed"),
    ]
    texts = {line: text for line, _, _, _, text in done.messages}
    assert texts[2] == "'nowhere' is not the sourcedId of an org in orgs.csv or already imported"
    assert texts[3] == (
        "'y99' is not the sourcedId of an academic session in academicSessions.csv or already imported"
    )


def test_a_delta_removes_tobedeleted_courses_and_upserts_active_ones(tenant: OneRosterTenant) -> None:
    tenant.run("courses", [course("c1", "Algebra I"), course("c2", "Art")])
    done = tenant.run(
        "courses",
        [
            # A removed course needs no valid references.
            course("c1", "Algebra I", "gone", status="tobedeleted", dateLastModified=CHANGED),
            course("c2", "Art & Design", status="active", dateLastModified=CHANGED),
            course("c3", "Music", status="active", dateLastModified=CHANGED),
            course("c4", "No status"),
        ],
        mode="delta",
    )
    assert done.counts == {
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "failed": 1,
        "deactivated": 0,
        "removed": 1,
    }
    courses = stored(tenant)
    assert set(courses) == {"c2", "c3"}
    assert courses["c2"].title == "Art & Design"


def test_a_bulk_sync_removes_the_courses_the_file_leaves_out(tenant: OneRosterTenant) -> None:
    tenant.run("courses", [course("c1", "Algebra I"), course("c2", "Art"), course("c3", "Music")])
    done = tenant.run("courses", [course("c1", "Algebra I"), course("c3", "Music")], sync=True)
    assert done.job.status == "processed", done.messages
    assert (done.counts["unchanged"], done.counts["removed"]) == (2, 1)
    assert set(stored(tenant)) == {"c1", "c3"}


def test_a_dry_run_writes_nothing(tenant: OneRosterTenant) -> None:
    done = tenant.run("courses", [course("c1", "Algebra I"), course("c2", "Art", "d1")], dry_run=True)
    assert done.counts["created"] == 2, done.messages
    assert stored(tenant) == {}
