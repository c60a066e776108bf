"""TAO's update rules and the import modes, the same for every template (shown on groups)."""

from sqlalchemy import func, select

from loadbay.models import RosterGroup
from tests.conftest import ApiUser, counts

HEADER = "group_name,group_description,group_active,group_organizationId\n"


def _group(api: ApiUser, name: str) -> RosterGroup | None:
    with api.runtime.sessions() as session:
        return session.scalar(select(RosterGroup).where(RosterGroup.name == name))


def _count(api: ApiUser) -> int:
    with api.runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(RosterGroup)) or 0


def test_rules_blank_clears_missing_keeps_identical_is_unchanged(rostering: ApiUser) -> None:
    rostering.import_file(HEADER + "g1,First,TRUE,root\n")
    assert rostering.import_file(HEADER + "g1,First,TRUE,root\n")["counts"]["unchanged"] == 1
    assert (
        rostering.import_file("group_name,group_active,group_organizationId\ng1,FALSE,root\n")["counts"][
            "updated"
        ]
        == 1
    )
    group = _group(rostering, "g1")
    assert group is not None
    assert (group.description, group.active) == ("First", False)
    assert rostering.import_file(HEADER + "g1,,FALSE,root\n")["counts"]["updated"] == 1
    assert _group(rostering, "g1").description is None  # type: ignore[union-attr]


def test_blank_mandatory_cell_is_an_error(rostering: ApiUser) -> None:
    status = rostering.import_file(HEADER + "g1,First,TRUE,\n,Nameless,TRUE,root\n")
    assert status["messages"] == [
        "Line 2: group_organizationId: is required",
        "Line 3: group_name: is required",
    ]


def test_same_key_twice_names_the_first_line(rostering: ApiUser) -> None:
    status = rostering.import_file(HEADER + "g1,A,TRUE,root\ng2,B,TRUE,root\ng1,C,TRUE,root\n")
    assert status["messages"] == ["Line 4: group_name: 'g1' already appears on line 2"]


def test_on_error_abort_writes_nothing_when_a_row_fails(rostering: ApiUser) -> None:
    status = rostering.import_file(HEADER + "g1,A,TRUE,root\ng2,B,MAYBE,root\n", onError="abort")
    assert status["status"] == "failed"
    assert status["messages"][0].startswith(
        "onError=abort: 1 row(s) failed validation, so nothing was written"
    )
    assert "Line 3: group_active: 'MAYBE' is not TRUE or FALSE" in status["messages"]
    assert _count(rostering) == 0
    rows = rostering.result_csv(str(status["referenceId"])).splitlines()
    assert rows[1].startswith("2,created,g1")
    assert rows[2].startswith("3,failed,g2")


def test_on_error_abort_writes_everything_when_all_rows_pass(rostering: ApiUser) -> None:
    rostering.runtime.settings.batch_rows = 2
    rows = "".join(f"g{i},G,TRUE,root\n" for i in range(5))
    status = rostering.import_file(HEADER + rows, onError="abort")
    assert status["status"] == "processed"
    assert status["counts"]["created"] == 5
    assert _count(rostering) == 5


def test_on_error_as_a_query_parameter(rostering: ApiUser) -> None:
    response = rostering.http.post(
        "/api/v1/upload?onError=abort",
        headers=rostering.headers,
        files={"file": ("g.csv", (HEADER + "g1,A,NOPE,root\n").encode())},
    )
    assert response.status_code == 200
    from tests.conftest import run_jobs

    run_jobs(rostering.runtime)
    assert rostering.status(response.json()["result"]["referenceId"])["status"] == "failed"


def test_unknown_on_error_value_is_400_and_stores_nothing(rostering: ApiUser) -> None:
    response = rostering.http.post(
        "/api/v1/upload",
        headers=rostering.headers,
        files={"file": ("g.csv", HEADER.encode())},
        data={"onError": "ignore"},
    )
    assert response.status_code == 400
    assert "onError" in response.json()["message"]
    objects = rostering.runtime.settings.data_dir / "objects"
    assert not [p for p in objects.rglob("*") if p.is_file()]


def test_dry_run_reports_outcomes_and_writes_nothing(rostering: ApiUser) -> None:
    rostering.import_file(HEADER + "g1,A,TRUE,root\n")
    status = rostering.import_file(HEADER + "g1,Changed,TRUE,root\ng2,New,TRUE,root\n", dryRun="true")
    assert status["status"] == "processed"
    assert status["counts"] == counts(created=1, updated=1)
    assert _group(rostering, "g1").description == "A"  # type: ignore[union-attr]
    assert _group(rostering, "g2") is None


def test_dry_run_sees_units_defined_earlier_in_the_file(rostering: ApiUser) -> None:
    rostering.runtime.settings.batch_rows = 1
    status = rostering.import_file(
        "hierarchy_organizationId,hierarchy_organizationName,hierarchy_parentOrganizationId\na,A,root\nb,B,a\n",
        dryRun="true",
    )
    assert status["counts"] == counts(created=2)


def test_unclosed_quote_fails_the_file_naming_the_line(rostering: ApiUser) -> None:
    status = rostering.import_file(HEADER + 'g1,"unclosed,TRUE,root\ng2,B,TRUE,root\n')
    assert status["status"] == "failed"
    assert status["messages"][0].startswith("Line 2: malformed CSV")
    assert _count(rostering) == 0


def test_header_with_unknown_column_fails_listing_every_template(rostering: ApiUser) -> None:
    status = rostering.import_file("group_name,group_organizationId,group_colour\ng1,root,blue\n")
    assert status["status"] == "failed"
    message = status["messages"][0]
    for template in (
        "organizations:",
        "users:",
        "groups:",
        "link-new-user-to-groups:",
        "link-existing-user-to-groups:",
        "sessions-with-delivery-in-new-groups:",
        "sessions-with-delivery-in-existing-groups:",
    ):
        assert template in message
