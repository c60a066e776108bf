"""Each TAO template's sample rows, imported through the real API and checked in the database."""

from typing import Any

from sqlalchemy import select

from loadbay.models import GroupMembership, OrgUnit, RosterGroup, RosterUser, TestSession
from tests.conftest import ApiUser, counts
from tests.rostering import samples


def _all(api: ApiUser, model: Any) -> list[Any]:
    with api.runtime.sessions() as session:
        return list(session.scalars(select(model).order_by(model.id)))


def _roster(api: ApiUser) -> None:
    for content in (samples.ORGANIZATIONS, samples.USERS, samples.GROUPS):
        status = api.import_file(content)
        assert status["counts"]["failed"] == 0, status["messages"]


def test_organizations_sample(rostering: ApiUser) -> None:
    status = rostering.import_file(samples.ORGANIZATIONS)
    assert status["importType"] == "organizations"
    assert status["counts"] == counts(created=3)
    units = {unit.name: unit for unit in _all(rostering, OrgUnit)}
    assert units["Lincoln High School"].parent_org_id == "district-north"
    generated = units["Riverside Elementary"].org_id
    assert generated.startswith("org-")
    # The result file names the generated id as the row's key.
    assert f"4,created,{generated}," in rostering.result_csv(str(status["referenceId"]))


def test_users_sample(rostering: ApiUser) -> None:
    rostering.import_file(samples.ORGANIZATIONS)
    status = rostering.import_file(samples.USERS)
    assert status["importType"] == "users"
    assert status["counts"] == counts(created=3)
    by_name = {user.username: user for user in _all(rostering, RosterUser)}
    assert by_name["teacher.jones"].roles == "GROUP_CREATOR|SUPPORT"
    assert by_name["student.ortiz"].active is False
    assert by_name["student.kim"].metadata_json == '{"grade": "7"}'


def test_groups_sample(rostering: ApiUser) -> None:
    rostering.import_file(samples.ORGANIZATIONS)
    status = rostering.import_file(samples.GROUPS)
    assert status["importType"] == "groups"
    assert status["counts"]["created"] == 2
    groups = {group.name: group for group in _all(rostering, RosterGroup)}
    assert groups["class-8b"].active is True
    assert groups["class-7a"].metadata_json == '{"year": "2026"}'


def test_link_existing_users_sample(rostering: ApiUser) -> None:
    _roster(rostering)
    status = rostering.import_file(samples.LINK_EXISTING)
    assert status["importType"] == "link-existing-user-to-groups"
    assert status["counts"] == counts(created=3)
    again = rostering.import_file(samples.LINK_EXISTING)
    assert again["counts"] == counts(unchanged=3)
    links = {(m.username, m.group_name, m.role) for m in _all(rostering, GroupMembership)}
    assert ("teacher.jones", "class-7a", "GRADER") in links


def test_link_existing_needs_existing_user_and_group(rostering: ApiUser) -> None:
    _roster(rostering)
    status = rostering.import_file(
        "user_username,group_name,group_role\nghost,class-7a,TEST_TAKER\nstudent.kim,no-such-group,GRADER\nstudent.kim,class-7a,JANITOR\n"
    )
    assert status["counts"]["failed"] == 3
    assert status["messages"] == [
        "Line 2: user_username: 'ghost' is not an existing user; import it first",
        "Line 3: group_name: 'no-such-group' is not an existing group; import it first",
        "Line 4: group_role: 'JANITOR' is not one of TEST_TAKER, GRADER, BOOKLET_PUBLISHER, SCAN_UPLOADER",
    ]


def test_link_new_users_sample(rostering: ApiUser) -> None:
    _roster(rostering)
    status = rostering.import_file(samples.LINK_NEW)
    assert status["importType"] == "link-new-user-to-groups"
    # student.lee is new; student.kim exists, unchanged, and gains a link: updated.
    assert status["counts"] == counts(created=1, updated=1)
    links = {(m.username, m.group_name, m.role) for m in _all(rostering, GroupMembership)}
    assert links == {("student.lee", "class-7a", "TEST_TAKER"), ("student.kim", "class-8b", "TEST_TAKER")}
    assert {u.username for u in _all(rostering, RosterUser)} >= {"student.lee", "student.kim"}


def test_link_new_user_into_missing_group_writes_nothing_for_that_row(rostering: ApiUser) -> None:
    _roster(rostering)
    status = rostering.import_file(
        "user_username,user_password,group_role,group_name,user_organizationId\nnewbie,Learn#2026,TEST_TAKER,nowhere,root\n"
    )
    assert status["counts"]["failed"] == 1
    assert "newbie" not in {u.username for u in _all(rostering, RosterUser)}


def test_sessions_in_new_groups_sample(rostering: ApiUser) -> None:
    rostering.import_file(samples.ORGANIZATIONS)
    status = rostering.import_file(samples.SESSIONS_NEW_GROUPS)
    assert status["importType"] == "sessions-with-delivery-in-new-groups"
    assert status["counts"] == counts(created=1)
    (session,) = _all(rostering, TestSession)
    assert (session.delivery_id, session.group_name, session.timezone) == (
        "delivery-math-7",
        "math-retake",
        "Europe/Paris",
    )
    assert session.security_settings == "lockdown,fullscreen"
    assert session.accessibility_plugins == "highContrast,zoom"
    assert [g.name for g in _all(rostering, RosterGroup)] == ["math-retake"]


def test_sessions_in_existing_groups_sample(rostering: ApiUser) -> None:
    _roster(rostering)
    status = rostering.import_file(samples.SESSIONS_EXISTING_GROUPS)
    assert status["importType"] == "sessions-with-delivery-in-existing-groups"
    assert status["counts"] == counts(created=2)
    sessions = {s.name: s for s in _all(rostering, TestSession)}
    assert sessions["Science 8B"].battery_id == "battery-science"
    assert sessions["Science 8B"].delivery_id is None


def test_session_checks(rostering: ApiUser) -> None:
    _roster(rostering)
    status = rostering.import_file(
        "session_deliveryId,group_name,session_name,session_timezone,session_startDate,session_endDate\n"
        "d1,no-group,S1,Europe/Paris,,\n"
        "d1,class-7a,S2,Mars/Olympus,,\n"
        "d1,class-7a,S3,,next tuesday,\n"
        "d1,class-7a,S4,,2026-06-02T10:00:00,2026-06-02T09:00:00\n"
        ",class-7a,S5,,,\n"
    )
    assert status["counts"]["failed"] == 5
    assert status["messages"] == [
        "Line 2: group_name: 'no-group' is not an existing group; import it first",
        "Line 3: session_timezone: 'Mars/Olympus' is not an IANA time zone such as Europe/Paris",
        "Line 4: session_startDate: is not an ISO 8601 date or date-time such as 2026-05-04T09:00:00+02:00",
        "Line 5: session_endDate: must be after session_startDate",
        "Line 6: session_deliveryId: give a delivery id (or a session_batteryId)",
    ]


def test_a_session_cannot_move_to_another_group(rostering: ApiUser) -> None:
    _roster(rostering)
    rostering.import_file(samples.SESSIONS_EXISTING_GROUPS)
    status = rostering.import_file(
        "session_deliveryId,group_name,session_name\ndelivery-read-7,class-8b,Reading 7A\n"
    )
    assert status["counts"]["failed"] == 1
    assert status["messages"] == [
        "Line 2: group_name: session 'Reading 7A' belongs to group 'class-7a'; a session cannot move to another group"
    ]


def test_organization_parent_rules(rostering: ApiUser) -> None:
    rostering.import_file(samples.ORGANIZATIONS)
    status = rostering.import_file(
        "hierarchy_organizationId,hierarchy_organizationName,hierarchy_parentOrganizationId\n"
        "orphan,Orphan,nowhere\n"
        "root,Root again,root\n"
        "district-north,North,school-lincoln\n"
    )
    assert status["messages"] == [
        "Line 2: hierarchy_parentOrganizationId: 'nowhere' is not an existing unit, root, or a unit defined earlier in this file",
        "Line 3: hierarchy_organizationId: root is built in and cannot be imported",
        "Line 4: hierarchy_parentOrganizationId: 'school-lincoln' is inside 'district-north'; a unit cannot be its own ancestor",
    ]


def test_organizations_at_most_15_levels(rostering: ApiUser) -> None:
    rows = "".join(f"level{i},Level {i},{'root' if i == 1 else f'level{i - 1}'}\n" for i in range(1, 17))
    status = rostering.import_file(
        "hierarchy_organizationId,hierarchy_organizationName,hierarchy_parentOrganizationId\n" + rows
    )
    assert status["counts"] == counts(created=15, failed=1)
    assert status["messages"] == [
        "Line 17: hierarchy_parentOrganizationId: the unit would be 16 levels below root; at most 15 are allowed"
    ]


def test_type_is_detected_from_the_header_whatever_the_file_name(rostering: ApiUser) -> None:
    rostering.import_file(samples.ORGANIZATIONS, filename="roster-export-final.csv")
    status = rostering.import_file(samples.GROUPS, filename="users.csv")
    assert status["importType"] == "groups"
