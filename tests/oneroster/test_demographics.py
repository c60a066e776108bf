"""demographics.csv: one row per imported user, flags and dates checked, bulk and delta."""

from __future__ import annotations

import pytest

from loadbay.models import Demographic
from loadbay.runtime import Runtime
from tests.oneroster.test_users import user
from tests.oneroster.writing import OneRosterTenant

MODIFIED = "2026-12-01T08:00:00Z"
FLAGS = (
    "americanIndianOrAlaskaNative",
    "asian",
    "blackOrAfricanAmerican",
    "nativeHawaiianOrOtherPacificIslander",
    "white",
    "demographicRaceTwoOrMoreRaces",
    "hispanicOrLatinoEthnicity",
)


def demographic(sourced_id: str, **cells: str) -> dict[str, str]:
    row = {"sourcedId": sourced_id, "status": "", "dateLastModified": "", "birthDate": "", "sex": ""}
    row |= dict.fromkeys(FLAGS, "")
    row |= {"countryOfBirthCode": "", "stateOfBirthAbbreviation": "", "cityOfBirth": ""}
    row |= {"publicSchoolResidenceStatus": ""}
    return row | cells


@pytest.fixture
def tenant(runtime: Runtime) -> OneRosterTenant:
    tenant = OneRosterTenant(runtime)
    org = {"sourcedId": "s1", "status": "", "dateLastModified": "", "name": "Hill", "type": "school"}
    tenant.run("orgs", [org | {"identifier": "", "parentSourcedId": ""}])
    done = tenant.run("users", [user("u1", "ada"), user("u2", "bob"), user("u3", "cy")])
    assert done.counts["created"] == 3, done.messages
    return tenant


def stored(tenant: OneRosterTenant) -> dict[str, Demographic]:
    return {d.source_id: d for d in tenant.rows(Demographic)}


def test_a_bulk_file_stores_each_users_demographics(tenant: OneRosterTenant) -> None:
    done = tenant.run(
        "demographics",
        [
            demographic(
                "u1",
                birthDate="2011-04-02",
                sex="female",
                asian="TRUE",
                white="false",
                hispanicOrLatinoEthnicity="False",
                countryOfBirthCode="US",
                stateOfBirthAbbreviation="NY",
                cityOfBirth="Albany",
                publicSchoolResidenceStatus="01652",
            ),
            demographic("u2"),
        ],
    )
    assert done.job.status == "processed", done.messages
    assert done.counts["created"] == 2
    ada = stored(tenant)["u1"]
    assert (ada.birth_date, ada.sex, ada.asian, ada.white) == ("2011-04-02", "female", True, False)
    assert (ada.hispanic_or_latino_ethnicity, ada.black_or_african_american) == (False, None)
    assert (ada.country_of_birth_code, ada.state_of_birth_abbreviation) == ("US", "NY")
    assert (ada.city_of_birth, ada.public_school_residence_status) == ("Albany", "01652")
    bob = stored(tenant)["u2"]
    assert (bob.birth_date, bob.sex, bob.asian) == (None, None, None)


def test_an_identical_row_is_unchanged_and_a_blank_cell_clears(tenant: OneRosterTenant) -> None:
    rows = [demographic("u1", sex="male", asian="true"), demographic("u2", birthDate="2010-01-31")]
    tenant.run("demographics", rows)
    done = tenant.run("demographics", [rows[0], demographic("u2")])
    assert (done.counts["unchanged"], done.counts["updated"]) == (1, 1), done.messages
    assert stored(tenant)["u2"].birth_date is None


def test_row_errors_name_the_value_and_the_file(tenant: OneRosterTenant) -> None:
    done = tenant.run(
        "demographics",
        [
            demographic("nobody"),
            demographic("u1", sex="M"),
            demographic("u2", asian="yes"),
            demographic("u3", birthDate="04/02/2011"),
            demographic("u3", status="tobedeleted"),
        ],
    )
    assert [(line, column, code) for line, column, code, _, _ in done.messages] == [
        (2, "sourcedId", "unknown_reference"),
        (3, "sex", "not_allowed"),
        (4, "asian", "invalid_boolean"),
        (5, "birthDate", "invalid_format"),
        (6, "sourcedId", "duplicate_key"),
    ]
    assert done.messages[0][4] == "'nobody' is not the sourcedId of a user in users.csv or already imported"
    assert done.counts["failed"] == 5
    assert stored(tenant) == {}


def test_tobedeleted_in_a_bulk_file_is_a_row_error(tenant: OneRosterTenant) -> None:
    done = tenant.run("demographics", [demographic("u1", status="tobedeleted"), demographic("u2")])
    assert [(line, column, code) for line, column, code, _, _ in done.messages] == [
        (2, "status", "not_allowed")
    ]
    assert list(stored(tenant)) == ["u2"]


def test_a_delta_removes_tobedeleted_demographics_and_upserts_active_ones(tenant: OneRosterTenant) -> None:
    tenant.run("demographics", [demographic("u1", sex="female"), demographic("u2", sex="male")])
    done = tenant.run(
        "demographics",
        [
            demographic("u1", status="tobedeleted", dateLastModified=MODIFIED),
            demographic("u2", sex="female", status="active", dateLastModified=MODIFIED),
            demographic("u3", white="true", status="active", dateLastModified=MODIFIED),
            demographic("gone", status="tobedeleted", dateLastModified=MODIFIED),
            demographic("u3", status="sideways", dateLastModified=MODIFIED),
        ],
        mode="delta",
    )
    assert done.counts == {
        "created": 1,
        "updated": 1,
        "unchanged": 1,
        "failed": 1,
        "deactivated": 0,
        "removed": 1,
    }, done.messages
    rows = stored(tenant)
    assert sorted(rows) == ["u2", "u3"]
    assert (rows["u2"].sex, rows["u3"].white) == ("female", True)


def test_a_dry_run_writes_nothing(tenant: OneRosterTenant) -> None:
    done = tenant.run("demographics", [demographic("u1", sex="male")], dry_run=True)
    assert done.counts["created"] == 1, done.messages
    assert stored(tenant) == {}
