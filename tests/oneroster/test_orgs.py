"""orgs.csv: the org tree under root, types checked, bulk and delta."""

from __future__ import annotations

import pytest

from loadbay.models import OrgUnit
from loadbay.runtime import Runtime
from tests.oneroster.writing import OneRosterTenant


def org(sourced_id: str, name: str, kind: str = "school", parent: str = "", **cells: str) -> dict[str, str]:
    row = {"sourcedId": sourced_id, "status": "", "dateLastModified": "", "name": name, "type": kind}
    row |= {"identifier": "", "parentSourcedId": parent} | cells
    return row


@pytest.fixture
def tenant(runtime: Runtime) -> OneRosterTenant:
    return OneRosterTenant(runtime)


def test_a_bulk_file_builds_the_tree_under_root(tenant: OneRosterTenant) -> None:
    done = tenant.run(
        "orgs",
        [
            org("d1", "North District", "district", identifier="ND-01"),
            org("s1", "Hill School", parent="d1"),
            org("s2", "Vale School", parent="d1"),
        ],
    )
    assert done.job.status == "processed", done.messages
    assert done.counts["created"] == 3
    units = {u.org_id: u for u in tenant.rows(OrgUnit)}
    assert units["d1"].parent_org_id == "root"
    assert units["d1"].org_type == "district"
    assert units["d1"].identifier == "ND-01"
    assert units["s1"].parent_org_id == "d1"
    assert units["s1"].name == "Hill School"


def test_unknown_parent_bad_type_and_tobedeleted_in_bulk_are_row_errors(tenant: OneRosterTenant) -> None:
    done = tenant.run(
        "orgs",
        [
            org("s1", "Hill School", parent="nowhere"),
            org("s2", "Vale School", "campus"),
            org("s3", "Dale School", status="tobedeleted"),
            org("s4", "Good School"),
        ],
    )
    assert done.counts["failed"] == 3, done.messages
    assert done.counts["created"] == 1
    assert [(line, column, code) for line, column, code, _, _ in done.messages] == [
        (2, "parentSourcedId", "unknown_reference"),
        (3, "type", "not_allowed"),
        (4, "status", "not_allowed"),
    ]
    assert "'nowhere' is not the sourcedId of an org" in done.messages[0][4]


def test_a_delta_deactivates_tobedeleted_orgs_and_needs_status(tenant: OneRosterTenant) -> None:
    tenant.run("orgs", [org("d1", "North District", "district"), org("s1", "Hill School", parent="d1")])
    done = tenant.run(
        "orgs",
        [
            org(
                "s1",
                "Hill School",
                parent="d1",
                status="tobedeleted",
                dateLastModified="2026-12-01T08:00:00Z",
            ),
            org("s2", "New School", parent="d1", status="active", dateLastModified="2026-12-01T08:00:00Z"),
            org("s3", "No Status", parent="d1"),
        ],
        mode="delta",
    )
    assert done.counts == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "failed": 1,
        "deactivated": 1,
        "removed": 0,
    }
    units = {u.org_id: u for u in tenant.rows(OrgUnit)}
    assert units["s1"].active is False
    assert units["s2"].active is True
    assert {column for _, column, _, _, _ in done.messages} == {"status", "dateLastModified"}
