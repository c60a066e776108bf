"""academicSessions.csv: types, dates and parents checked, bulk and delta, sync."""

from __future__ import annotations

import pytest

from loadbay.models import AcademicSession
from loadbay.runtime import Runtime
from tests.oneroster.writing import OneRosterTenant

CHANGED = "2026-12-01T08:00:00Z"


def session(
    sourced_id: str,
    title: str,
    kind: str = "term",
    start: str = "2026-09-01",
    end: str = "2027-01-31",
    parent: str = "",
    **cells: str,
) -> dict[str, str]:
    row = {"sourcedId": sourced_id, "status": "", "dateLastModified": "", "title": title, "type": kind}
    row |= {"startDate": start, "endDate": end, "parentSourcedId": parent, "schoolYear": "2027"} | cells
    return row


def year() -> dict[str, str]:
    return session("y27", "2026-2027", "schoolYear", end="2027-06-30")


@pytest.fixture
def tenant(runtime: Runtime) -> OneRosterTenant:
    return OneRosterTenant(runtime)


def stored(tenant: OneRosterTenant) -> dict[str, AcademicSession]:
    return {s.source_id: s for s in tenant.rows(AcademicSession)}


def test_a_bulk_file_creates_sessions_under_their_parents(tenant: OneRosterTenant) -> None:
    done = tenant.run(
        "academicSessions",
        [
            year(),
            session("t1", "Fall", parent="y27"),
            session("g1", "Fall 1", "gradingPeriod", end="2026-11-15", parent="t1"),
        ],
    )
    assert done.job.status == "processed", done.messages
    assert done.counts["created"] == 3
    sessions = stored(tenant)
    assert sessions["y27"].session_type == "schoolYear"
    assert sessions["y27"].parent_id is None
    assert (sessions["y27"].start_date, sessions["y27"].end_date) == ("2026-09-01", "2027-06-30")
    assert sessions["t1"].parent_id == "y27"
    assert sessions["g1"].parent_id == "t1"
    assert sessions["g1"].school_year == "2027"
    assert sessions["g1"].title == "Fall 1"


def test_a_second_file_updates_and_leaves_identical_rows_unchanged(tenant: OneRosterTenant) -> None:
    tenant.run("academicSessions", [year(), session("t1", "Fall", parent="y27")])
    done = tenant.run("academicSessions", [year(), session("t1", "Autumn", parent="y27")])
    assert (done.counts["unchanged"], done.counts["updated"], done.counts["created"]) == (1, 1, 0)
    assert stored(tenant)["t1"].title == "Autumn"


def test_row_errors_name_the_value_and_the_file(tenant: OneRosterTenant) -> None:
    done = tenant.run(
        "academicSessions",
        [
            session("t1", "Fall", "quarter"),
            session("t2", "Fall", start="2026-09-31"),
            session("t3", "Fall", start="2027-02-01", end="2027-01-31"),
            session("t4", "Fall", end="31/01/2027"),
            session("t5", "Fall", schoolYear="26-27"),
            session("t6", "Fall", parent="nowhere"),
            session("t7", "Fall", status="tobedeleted"),
            session("t8", "Fall", parent="t8"),
            session("t9", "Fall"),
        ],
    )
    assert done.counts["failed"] == 8, done.messages
    assert done.counts["created"] == 1
    assert [(line, column, code) for line, column, code, _, _ in done.messages] == [
        (2, "type", "not_allowed"),
        (3, "startDate", "invalid_value"),
        (4, "endDate", "invalid_value"),
        (5, "endDate", "invalid_format"),
        (6, "schoolYear", "invalid_format"),
        (7, "parentSourcedId", "unknown_reference"),
        (8, "status", "not_allowed"),
        (9, "parentSourcedId", "invalid_hierarchy"),
    ]
    texts = {line: text for line, _, _, _, text in done.messages}
    assert texts[3] == "'2026-09-31' is not a day of the calendar"
    assert texts[4] == "'2027-01-31' is before the startDate 2027-02-01"
    assert texts[7] == (
        "'nowhere' is not the sourcedId of an academic session earlier in academicSessions.csv "
        "or already imported"
    )


def test_a_parent_later_in_the_file_or_failed_is_unknown(tenant: OneRosterTenant) -> None:
    done = tenant.run(
        "academicSessions",
        [
            session("t1", "Fall", parent="y27"),
            year(),
            session("s1", "Broken", "semester", start="2027-01-01", end="2026-01-01"),
            session("t2", "Spring", parent="s1"),
            session("g1", "Spring 1", "gradingPeriod", parent="t2"),
        ],
    )
    assert [(line, column) for line, column, _, _, _ in done.messages] == [
        (2, "parentSourcedId"),
        (4, "endDate"),
        (5, "parentSourcedId"),
        (6, "parentSourcedId"),
    ]
    assert set(stored(tenant)) == {"y27"}


def test_a_parent_already_imported_is_known(tenant: OneRosterTenant) -> None:
    tenant.run("academicSessions", [year()])
    done = tenant.run("academicSessions", [session("t1", "Fall", parent="y27")])
    assert done.counts["created"] == 1, done.messages


def test_a_delta_removes_tobedeleted_sessions_and_upserts_active_ones(tenant: OneRosterTenant) -> None:
    tenant.run("academicSessions", [year(), session("t1", "Fall", parent="y27")])
    done = tenant.run(
        "academicSessions",
        [
            session("t1", "Fall", parent="y27", status="tobedeleted", dateLastModified=CHANGED),
            session("t2", "Spring", start="2027-02-01", end="2027-06-30", parent="y27", status="active")
            | {"dateLastModified": CHANGED},
            session("t3", "Never there", status="tobedeleted", dateLastModified=CHANGED),
            session("t4", "No status", parent="y27"),
        ],
        mode="delta",
    )
    assert done.counts == {
        "created": 1,
        "updated": 0,
        "unchanged": 1,
        "failed": 1,
        "deactivated": 0,
        "removed": 1,
    }
    assert set(stored(tenant)) == {"y27", "t2"}
    assert {column for _, column, _, _, _ in done.messages} == {"status", "dateLastModified"}


def test_a_bulk_sync_removes_the_sessions_the_file_leaves_out(tenant: OneRosterTenant) -> None:
    tenant.run("academicSessions", [year(), session("t1", "Fall", parent="y27"), session("t2", "Spring")])
    done = tenant.run("academicSessions", [year(), session("t1", "Fall", parent="y27")], sync=True)
    assert done.job.status == "processed", done.messages
    assert (done.counts["unchanged"], done.counts["removed"]) == (2, 1)
    assert set(stored(tenant)) == {"y27", "t1"}


def test_a_dry_run_writes_nothing_and_remembers_parents_across_batches(
    tenant: OneRosterTenant, runtime: Runtime
) -> None:
    runtime.settings.batch_rows = 5
    terms = [session(f"t{i}", f"Term {i}", parent="y27") for i in range(9)]
    done = tenant.run("academicSessions", [year(), *terms], dry_run=True)
    assert done.counts["created"] == 10, done.messages
    assert stored(tenant) == {}
