"""TAO's partial-update rules on every rostering template (issue 13's acceptance).

The template is detected from the columns present; an update file needs only the key. A column
left out keeps the stored value, a blank cell clears a column that is not mandatory, a blank
mandatory cell fails its row, and a row that would create a record without a column a new record
needs fails while the update rows of the same file go through.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from loadbay.models import GroupMembership, OrgUnit, RosterGroup, RosterUser, TestSession
from tests.conftest import ApiUser, counts, expire_lease, run_cut_off, run_jobs

USERS = (
    "user_username,user_name,user_password,user_email,user_active,user_organizationId\n"
    "alice,Alice,Wonder#land1,alice@example.org,TRUE,root\n"
)
ROOT = Path(__file__).parents[2]
GROUPS = "group_name,group_description,group_active,group_organizationId\ng1,First group,TRUE,root\n"


def _stored(api: ApiUser, model: Any, **key: str) -> Any:
    with api.runtime.sessions() as session:
        query = select(model)
        for column, value in key.items():
            query = query.where(getattr(model, column) == value)
        return session.scalar(query)


def _result(api: ApiUser, status: dict[str, object]) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(api.result_csv(str(status["referenceId"])))))


def _processed(api: ApiUser, content: str, **options: str) -> dict[str, Any]:
    status = api.import_file(content, **options)
    assert status["status"] == "processed", status
    return status


# --- users -----------------------------------------------------------------------------------


def test_users_partial_update_changes_only_its_columns(rostering: ApiUser) -> None:
    _processed(rostering, USERS)
    before = _stored(rostering, RosterUser, username="alice")
    # The example: rename and deactivate, nothing else in the file.
    status = _processed(rostering, "user_username,user_name,user_active\nalice,Alice Renamed,FALSE\n")
    assert status["counts"]["updated"] == 1
    after = _stored(rostering, RosterUser, username="alice")
    assert (after.name, after.active) == ("Alice Renamed", False)
    assert (after.email, after.organization_id, after.password_hash) == (
        before.email,
        before.organization_id,
        before.password_hash,
    )


def test_users_blank_clears_an_optional_column_and_fails_a_mandatory_one(rostering: ApiUser) -> None:
    _processed(rostering, USERS)
    assert _processed(rostering, "user_username,user_email\nalice,\n")["counts"]["updated"] == 1
    assert _stored(rostering, RosterUser, username="alice").email is None
    status = _processed(rostering, "user_username,user_organizationId\nalice,\n")
    assert status["messages"] == ["Line 2: user_organizationId: is required"]
    assert _stored(rostering, RosterUser, username="alice").organization_id == "root"


def test_users_create_row_without_its_mandatory_columns_fails_and_updates_pass(rostering: ApiUser) -> None:
    _processed(rostering, USERS)
    status = _processed(rostering, "user_username,user_name\nalice,Alice Two\nnewbie,New\n")
    assert status["counts"] == counts(updated=1, failed=1)
    assert status["messages"] == [
        "Line 3: user_password: is required when the user is created",
        "Line 3: user_organizationId: is required when the user is created",
    ]
    assert _stored(rostering, RosterUser, username="alice").name == "Alice Two"
    assert _stored(rostering, RosterUser, username="newbie") is None


# --- groups ----------------------------------------------------------------------------------


def test_groups_partial_update_blank_and_create_rules(rostering: ApiUser) -> None:
    _processed(rostering, GROUPS)
    assert _processed(rostering, "group_name,group_description\ng1,Renamed\n")["counts"]["updated"] == 1
    group = _stored(rostering, RosterGroup, name="g1")
    assert (group.description, group.active, group.organization_id) == ("Renamed", True, "root")
    assert _processed(rostering, "group_name,group_description\ng1,\n")["counts"]["updated"] == 1
    assert _stored(rostering, RosterGroup, name="g1").description is None
    blank = _processed(rostering, "group_name,group_organizationId\ng1,\n")
    assert blank["messages"] == ["Line 2: group_organizationId: is required"]
    mixed = _processed(rostering, "group_name,group_description\ng1,Again\ng2,New\n")
    assert (mixed["counts"]["updated"], mixed["counts"]["failed"]) == (1, 1)
    assert mixed["messages"] == ["Line 3: group_organizationId: is required when the group is created"]
    assert _stored(rostering, RosterGroup, name="g2") is None


# --- organizations ---------------------------------------------------------------------------


def test_organizations_partial_update_blank_and_create_rules(rostering: ApiUser) -> None:
    _processed(
        rostering,
        "hierarchy_organizationId,hierarchy_organizationName,hierarchy_organizationDescription,"
        "hierarchy_parentOrganizationId\nu1,Unit one,About it,root\n",
    )
    renamed = _processed(rostering, "hierarchy_organizationId,hierarchy_organizationName\nu1,Unit 1\n")
    assert renamed["counts"]["updated"] == 1
    unit = _stored(rostering, OrgUnit, org_id="u1")
    assert (unit.name, unit.description, unit.parent_org_id) == ("Unit 1", "About it", "root")
    _processed(rostering, "hierarchy_organizationId,hierarchy_organizationDescription\nu1,\n")
    assert _stored(rostering, OrgUnit, org_id="u1").description is None
    blank = _processed(rostering, "hierarchy_organizationId,hierarchy_organizationName\nu1,\n")
    assert blank["messages"] == ["Line 2: hierarchy_organizationName: is required"]
    mixed = _processed(rostering, "hierarchy_organizationId,hierarchy_organizationName\nu1,Unit I\nu2,New\n")
    assert (mixed["counts"]["updated"], mixed["counts"]["failed"]) == (1, 1)
    assert mixed["messages"] == [
        "Line 3: hierarchy_parentOrganizationId: is required when the unit is created"
    ]


def test_organizations_without_the_key_column_must_carry_what_a_new_unit_needs(rostering: ApiUser) -> None:
    # Without ids every row creates a unit (with a generated id): a name alone cannot do it.
    status = rostering.import_file("hierarchy_organizationName\nLonely\n")
    assert status["status"] == "failed"
    assert str(status["messages"][0]).startswith("Line 1: the header matches no import template")
    assert "hierarchy_parentOrganizationId" in str(status["messages"][0])


# --- links -----------------------------------------------------------------------------------


def test_link_existing_users_needs_only_its_key_in_any_order(rostering: ApiUser) -> None:
    _processed(rostering, USERS)
    _processed(rostering, GROUPS)
    status = _processed(
        rostering, "group_role,user_username,group_name\nTEST_TAKER,alice,g1\nGRADER,alice,\n"
    )
    assert status["importType"] == "link-existing-user-to-groups"
    assert (status["counts"]["created"], status["counts"]["failed"]) == (1, 1)
    assert status["messages"] == ["Line 3: group_name: is required"]
    assert _stored(rostering, GroupMembership, username="alice", group_name="g1") is not None


def test_link_new_users_partial_update_keeps_the_users_other_columns(rostering: ApiUser) -> None:
    _processed(rostering, USERS)
    _processed(rostering, GROUPS)
    before = _stored(rostering, RosterUser, username="alice")
    status = _processed(
        rostering,
        "user_username,group_name,group_role,user_name\nalice,g1,TEST_TAKER,Alice L\nnewbie,g1,TEST_TAKER,N\n",
    )
    assert status["importType"] == "link-new-user-to-groups"
    assert (status["counts"]["updated"], status["counts"]["failed"]) == (1, 1)
    assert status["messages"] == [
        "Line 3: user_password: is required when the user is created",
        "Line 3: user_organizationId: is required when the user is created",
    ]
    after = _stored(rostering, RosterUser, username="alice")
    assert (after.name, after.email, after.password_hash) == ("Alice L", before.email, before.password_hash)
    assert _stored(rostering, GroupMembership, username="alice", group_name="g1") is not None


def test_link_new_users_blank_cells_and_a_warning(rostering: ApiUser) -> None:
    _processed(rostering, USERS + "carol,Carol,Wonder#land2,carol@example.org,TRUE,root\n")
    _processed(rostering, GROUPS)
    status = _processed(
        rostering,
        "user_username,group_name,group_role,user_email,user_active,user_organizationId\n"
        "alice,g1,TEST_TAKER,,0,root\n"  # blank e-mail clears it; 0 is written, with a warning
        "carol,g1,GRADER,carol@example.org,TRUE,\n",  # a blank organization fails the row
    )
    assert status["importType"] == "link-new-user-to-groups"
    assert status["counts"] == counts(updated=1, failed=1)
    assert status["messages"] == [
        "Line 2: user_active: '0' read as FALSE; write TRUE or FALSE",
        "Line 3: user_organizationId: is required",
    ]
    warnings = rostering.http.get(
        f"/api/v1/imports/{status['referenceId']}?severity=warning", headers=rostering.headers
    ).json()["messagePage"]["items"]
    assert [(m["line"], m["column"], m["code"], m["severity"]) for m in warnings] == [
        (2, "user_active", "boolean_number", "warning")
    ]
    assert [(row["outcome"], row["messages"]) for row in _result(rostering, status)] == [
        ("updated", "warning: user_active: '0' read as FALSE; write TRUE or FALSE"),
        ("failed", "user_organizationId: is required"),
    ]
    alice = _stored(rostering, RosterUser, username="alice")
    assert (alice.email, alice.active) == (None, False)
    assert _stored(rostering, RosterUser, username="carol").organization_id == "root"
    assert _stored(rostering, GroupMembership, username="alice", group_name="g1") is not None
    assert _stored(rostering, GroupMembership, username="carol", group_name="g1") is None


# A user on several rows of a link file: the rows apply in file order, whatever the batches.
LINK_ROWS = (
    "user_username,user_password,user_organizationId,group_name,group_role,user_name\n"
    "bob,,root,g1,GRADER,Bob\n"  # new, and no password yet: fails
    "bob,Secret#123x,root,g1,TEST_TAKER,Bob\n"  # creates bob
    "bob,,root,g2,TEST_TAKER,Bob\n"  # the password set above is kept; a new link: updated
    "bob,,root,g2,GRADER,Bobby\n"  # renames bob: updated
    "alice,,root,g1,TEST_TAKER,Alice\n"  # the stored link, alice as stored: unchanged
    "alice,,root,g1,GRADER,Alice\n"  # the same, on a later row: unchanged
    "alice,Wonder#land1,root,g2,TEST_TAKER,Alice\n"  # the stored password, a new link: updated
    "alice,Other#pass1,root,g2,GRADER,Alice\n"  # a new password: updated
    "carl,,root,g1,TEST_TAKER,Carl\n"  # new, no password: fails
    "carl,Carl#pass12,,g1,GRADER,Carl\n"  # no organization: fails
)


@pytest.mark.parametrize("batch_rows", [1, 1000])
@pytest.mark.parametrize("dry_run", [False, True])
def test_a_user_on_several_rows_of_a_link_file_does_not_depend_on_the_batches(
    rostering: ApiUser, batch_rows: int, dry_run: bool
) -> None:
    _processed(rostering, USERS)
    _processed(rostering, GROUPS + "g2,Second group,TRUE,root\n")
    _processed(rostering, "user_username,group_name,group_role\nalice,g1,TEST_TAKER\nalice,g1,GRADER\n")
    rostering.runtime.settings.batch_rows = batch_rows
    status = _processed(rostering, LINK_ROWS, **({"dryRun": "true"} if dry_run else {}))
    assert status["counts"] == counts(created=1, updated=4, unchanged=2, failed=3)
    assert status["messages"] == [
        "Line 2: user_password: is required when the user is created",
        "Line 10: user_password: is required when the user is created",
        "Line 11: user_organizationId: is required",
    ]
    assert [row["outcome"] for row in _result(rostering, status)] == [
        "failed",
        "created",
        "updated",
        "updated",
        "unchanged",
        "unchanged",
        "updated",
        "updated",
        "failed",
        "failed",
    ]
    bob = _stored(rostering, RosterUser, username="bob")
    alice = _stored(rostering, RosterUser, username="alice")
    if dry_run:
        assert bob is None
        assert PasswordHasher().verify(alice.password_hash, "Wonder#land1")
        return
    assert bob.name == "Bobby"
    assert PasswordHasher().verify(bob.password_hash, "Secret#123x")
    assert PasswordHasher().verify(alice.password_hash, "Other#pass1")
    assert _stored(rostering, RosterUser, username="carl") is None
    with rostering.runtime.sessions() as session:
        links = set(
            session.execute(
                select(GroupMembership.username, GroupMembership.group_name, GroupMembership.role)
            )
        )
    assert links == {
        ("bob", "g1", "TEST_TAKER"),
        ("bob", "g2", "TEST_TAKER"),
        ("bob", "g2", "GRADER"),
        ("alice", "g1", "TEST_TAKER"),
        ("alice", "g1", "GRADER"),
        ("alice", "g2", "TEST_TAKER"),
        ("alice", "g2", "GRADER"),
    }
    # Again: bob exists, so line 2 updates him (back to Bob), and line 3's password is his.
    again = _processed(rostering, LINK_ROWS)
    assert again["counts"] == counts(updated=4, unchanged=4, failed=2)
    assert [row["outcome"] for row in _result(rostering, again)][:4] == [
        "updated",
        "unchanged",
        "unchanged",
        "updated",
    ]


def test_a_link_file_cut_off_and_resumed_ends_as_an_uninterrupted_run(rostering: ApiUser) -> None:
    _processed(rostering, USERS)
    _processed(rostering, GROUPS + "g2,Second group,TRUE,root\n")
    _processed(rostering, "user_username,group_name,group_role\nalice,g1,TEST_TAKER\nalice,g1,GRADER\n")
    rostering.runtime.settings.batch_rows = 3
    reference = str(rostering.upload(LINK_ROWS)["referenceId"])
    # Killed after two batches: bob was created before the crash, the rows after it update him.
    run_cut_off(rostering.runtime, reference, checks=2)
    assert rostering.status(reference)["fileLine"] == 7
    expire_lease(rostering, reference)
    run_jobs(rostering.runtime)
    status = rostering.status(reference)
    assert (status["status"], status["counts"]) == (
        "processed",
        counts(created=1, updated=4, unchanged=2, failed=3),
    )
    assert [row["outcome"] for row in _result(rostering, status)][:4] == [
        "failed",
        "created",
        "updated",
        "updated",
    ]
    assert _stored(rostering, RosterUser, username="bob").name == "Bobby"


# --- sessions --------------------------------------------------------------------------------


def test_sessions_in_new_groups_partial_update_and_a_new_group_without_organization(
    rostering: ApiUser,
) -> None:
    _processed(
        rostering,
        "session_name,group_name,session_deliveryId,group_organizationId,session_timezone\n"
        "s1,g9,d1,root,Europe/Paris\n",
    )
    status = _processed(
        rostering, "session_name,group_name,group_description\ns1,g9,Ninth group\ns2,g10,Tenth group\n"
    )
    assert status["importType"] == "sessions-with-delivery-in-new-groups"
    assert (status["counts"]["updated"], status["counts"]["failed"]) == (1, 1)
    assert status["messages"] == ["Line 3: group_organizationId: is required when the group is created"]
    group = _stored(rostering, RosterGroup, name="g9")
    assert (group.description, group.organization_id) == ("Ninth group", "root")
    session = _stored(rostering, TestSession, name="s1")
    assert (session.delivery_id, session.timezone) == ("d1", "Europe/Paris")
    # A blank optional cell clears it: the group's description, the session's time zone.
    cleared = _processed(rostering, "session_name,group_name,group_description,session_timezone\ns1,g9,,\n")
    assert cleared["counts"]["updated"] == 1
    assert _stored(rostering, RosterGroup, name="g9").description is None
    assert _stored(rostering, TestSession, name="s1").timezone is None


def test_sessions_in_existing_groups_partial_update_and_a_new_session_without_delivery(
    rostering: ApiUser,
) -> None:
    _processed(rostering, GROUPS)
    _processed(
        rostering, "session_name,group_name,session_deliveryId,session_timezone\ns1,g1,d1,Europe/Paris\n"
    )
    status = _processed(rostering, "session_name,group_name,session_timezone\ns1,g1,UTC\ns2,g1,UTC\n")
    assert status["importType"] == "sessions-with-delivery-in-existing-groups"
    assert (status["counts"]["updated"], status["counts"]["failed"]) == (1, 1)
    assert status["messages"] == ["Line 3: session_deliveryId: give a delivery id (or a session_batteryId)"]
    session = _stored(rostering, TestSession, name="s1")
    assert (session.delivery_id, session.timezone) == ("d1", "UTC")
    blank = _processed(rostering, "session_name,group_name,session_timezone\ns1,,UTC\n")
    assert blank["messages"] == ["Line 2: group_name: is required"]
    cleared = _processed(rostering, "session_name,group_name,session_timezone\ns1,g1,\n")
    assert cleared["counts"]["updated"] == 1
    assert _stored(rostering, TestSession, name="s1").timezone is None


def test_sessions_in_new_groups_blank_mandatory_cells_and_a_warning(rostering: ApiUser) -> None:
    _processed(
        rostering,
        "session_name,group_name,session_deliveryId,group_organizationId\ns1,g9,d1,root\n",
    )
    status = _processed(
        rostering,
        "session_name,group_name,session_deliveryId,group_active,group_organizationId\n"
        "s1,g9,,TRUE,root\n"  # a blank delivery fails, even for a stored session
        "s2,g9,d2,TRUE,\n"  # a blank organization fails
        "s3,g10,d3,1,root\n",  # 1 is written as TRUE, with a warning
    )
    assert status["counts"] == counts(created=1, failed=2)
    assert status["messages"] == [
        "Line 2: session_deliveryId: is required",
        "Line 3: group_organizationId: is required",
        "Line 4: group_active: '1' read as TRUE; write TRUE or FALSE",
    ]
    assert [(row["outcome"], row["messages"]) for row in _result(rostering, status)] == [
        ("failed", "session_deliveryId: is required"),
        ("failed", "group_organizationId: is required"),
        ("created", "warning: group_active: '1' read as TRUE; write TRUE or FALSE"),
    ]
    assert _stored(rostering, TestSession, name="s1").delivery_id == "d1"
    assert _stored(rostering, TestSession, name="s2") is None
    assert _stored(rostering, RosterGroup, name="g10").active is True
    # A new session in a file without the delivery column fails; the stored one is updated.
    partial = _processed(rostering, "session_name,group_name,group_description\ns1,g9,Ninth\ns4,g9,Ninth\n")
    assert partial["counts"] == counts(updated=1, failed=1)
    assert partial["messages"] == ["Line 3: session_deliveryId: give a delivery id (or a session_batteryId)"]
    assert _stored(rostering, TestSession, name="s4") is None


# --- every path ------------------------------------------------------------------------------


@pytest.mark.parametrize("options", [{"dryRun": "true"}, {"onError": "abort"}])
def test_partial_update_rules_hold_in_a_dry_run_and_all_or_nothing(
    rostering: ApiUser, options: dict[str, str]
) -> None:
    _processed(rostering, USERS)
    status = rostering.import_file("user_username,user_name\nalice,Alice Two\nnewbie,New\n", **options)
    assert "Line 3: user_password: is required when the user is created" in status["messages"]
    # Neither writes: the dry run never does, all-or-nothing refuses the file for line 3.
    assert _stored(rostering, RosterUser, username="alice").name == "Alice"
    assert _stored(rostering, RosterUser, username="newbie") is None


def test_import_type_override_takes_a_partial_file(rostering: ApiUser) -> None:
    _processed(rostering, USERS)
    reference = str(
        rostering.upload("user_username,user_name\nalice,Forced\n", importType="users")["referenceId"]
    )
    run_jobs(rostering.runtime)
    status = rostering.status(reference)
    assert status["counts"]["updated"] == 1, status
    assert _stored(rostering, RosterUser, username="alice").name == "Forced"


def test_a_header_mixing_two_templates_is_one_message_naming_both(rostering: ApiUser) -> None:
    status = rostering.import_file("user_username,user_name,group_description\nalice,A,x\n")
    assert status["status"] == "failed"
    assert len(status["messages"]) == 1
    message = str(status["messages"][0])
    assert message.startswith(
        "Line 1: the header matches no import template: it is closest to users, but group_description "
        "is a column of groups, sessions-with-delivery-in-new-groups, not of users."
    )


def test_import_type_override_with_a_mixed_header_names_the_templates(rostering: ApiUser) -> None:
    status = rostering.import_file(
        "user_username,group_description,user_nickname\nalice,x,al\n", importType="users"
    )
    assert status["status"] == "failed"
    assert len(status["messages"]) == 1
    # The foreign column with its templates; a column no template has, as before.
    assert str(status["messages"][0]).startswith(
        "Line 1: the header does not fit users: group_description is a column of groups, "
        "sessions-with-delivery-in-new-groups, not of users; unknown column(s) user_nickname. Expected: users: "
    )


def test_an_unknown_column_with_the_templates_prefix_is_named(rostering: ApiUser) -> None:
    status = rostering.import_file("user_username,user_nickname\nalice,al\n")
    assert status["messages"][0].startswith(
        "Line 1: the header matches no import template: it is closest to users, but user_nickname "
        "is not a column of users (nor of any template)."
    )


# --- warnings and ragged rows ----------------------------------------------------------------


def test_one_and_zero_are_written_with_a_warning_everywhere(rostering: ApiUser) -> None:
    _processed(rostering, GROUPS)
    status = _processed(rostering, "group_name,group_active\ng1,0\ng2,1\n")
    # g2 is new and the file has no organization: it fails; g1 is written with its warning.
    assert status["counts"] == counts(updated=1, failed=1)
    assert status["messages"][0] == "Line 2: group_active: '0' read as FALSE; write TRUE or FALSE"
    assert _stored(rostering, RosterGroup, name="g1").active is False
    detail = rostering.http.get(f"/api/v1/imports/{status['referenceId']}", headers=rostering.headers).json()
    items = detail["messagePage"]["items"]
    assert [(m["line"], m["severity"], m["code"]) for m in items] == [
        (2, "warning", "boolean_number"),
        (3, "warning", "boolean_number"),
        (3, "error", "required_on_create"),
    ]
    rows = _result(rostering, status)
    # The result file: written rows say so, and a warning is marked as one.
    assert (rows[0]["outcome"], rows[0]["messages"]) == (
        "updated",
        "warning: group_active: '0' read as FALSE; write TRUE or FALSE",
    )
    assert (rows[1]["outcome"], rows[1]["messages"]) == (
        "failed",
        "warning: group_active: '1' read as TRUE; write TRUE or FALSE | "
        "group_organizationId: is required when the group is created",
    )


def test_users_warning_rows_are_written_and_say_so_in_the_result_file(rostering: ApiUser) -> None:
    _processed(rostering, USERS)
    status = _processed(
        rostering,
        "user_username,user_password,user_active,user_organizationId\nalice,,0,root\nnew1,Wonder#land1,1,root\n",
    )
    assert status["counts"] == counts(created=1, updated=1)
    assert [(row["outcome"], row["messages"]) for row in _result(rostering, status)] == [
        ("updated", "warning: user_active: '0' read as FALSE; write TRUE or FALSE"),
        ("created", "warning: user_active: '1' read as TRUE; write TRUE or FALSE"),
    ]
    assert _stored(rostering, RosterUser, username="alice").active is False
    assert _stored(rostering, RosterUser, username="new1").active is True


def test_warnings_alone_do_not_abort(rostering: ApiUser) -> None:
    _processed(rostering, USERS)
    status = rostering.import_file("user_username,user_active\nalice,0\n", onError="abort")
    # onError=abort stops for an error only: a warning's row is written, as it is without abort.
    assert (status["status"], status["counts"]) == ("processed", counts(updated=1))
    assert status["messages"] == ["Line 2: user_active: '0' read as FALSE; write TRUE or FALSE"]
    assert _stored(rostering, RosterUser, username="alice").active is False


def test_a_ragged_row_has_exactly_one_message(rostering: ApiUser) -> None:
    status = rostering.import_file(
        "user_username,user_password,user_email,user_organizationId\nalice,Wonder#land1\n"
    )
    assert status["counts"]["failed"] == 1
    text = "the row has 2 fields but the header has 4; check for a missing or extra delimiter or an unclosed quote"
    assert status["messages"] == [f"Line 2: {text}"]
    assert _result(rostering, status)[0]["messages"] == text


def test_a_ragged_row_repeating_a_key_has_one_message(rostering: ApiUser) -> None:
    status = rostering.import_file(
        "user_username,user_password,user_organizationId\n"
        "alice,Wonder#land1,root\n"
        "alice,Wonder#land1\n"  # ragged, and alice again: still one message
        "carl\n"  # ragged: its key is not remembered...
        "carl,Carl#land12,root\n"  # ...so this correct carl is no repeat
    )
    text = "the row has {} fields but the header has 3; check for a missing or extra delimiter or an unclosed quote"
    assert status["counts"] == counts(created=2, failed=2)
    assert status["messages"] == [f"Line 3: {text.format(2)}", f"Line 4: {text.format(1)}"]
    assert [(row["outcome"], row["messages"]) for row in _result(rostering, status)] == [
        ("created", ""),
        ("failed", text.format(2)),
        ("failed", text.format(1)),
        ("created", ""),
    ]
    assert _stored(rostering, RosterUser, username="carl") is not None


def test_the_docs_partial_update_example(rostering: ApiUser) -> None:
    # Read from the docs themselves, so that they cannot drift: the README walkthrough's users.csv,
    # then docs/imports.md's printf line and the counts it promises.
    readme = (ROOT / "README.md").read_text()
    walkthrough = re.search(r"^cat > users\.csv <<'CSV'\n(.*?\n)CSV$", readme, flags=re.M | re.S)
    assert walkthrough is not None
    section = (ROOT / "docs" / "imports.md").read_text().split("\n## Partial updates\n")[1].split("\n## ")[0]
    printf = re.search(r"^(printf .*) > rename\.csv$", section, flags=re.M)
    promised = re.search(r'The status then reads\s+`"counts": (\{.*?\})`', section)
    assert printf is not None
    assert promised is not None
    rename = subprocess.run(shlex.split(printf.group(1)), capture_output=True, text=True, check=True).stdout

    walked = re.search(r'"counts": (\{.*?\})', readme)
    assert walked is not None
    assert _processed(rostering, walkthrough.group(1))["counts"] == json.loads(walked.group(1))
    before = _stored(rostering, RosterUser, username="jdoe")
    status = _processed(rostering, rename)
    assert status["counts"] == json.loads(promised.group(1)) == counts(updated=1)
    # "renames and deactivates jdoe and keeps the password, e-mail, role and organization"
    user = _stored(rostering, RosterUser, username="jdoe")
    assert (user.name, user.active) == ("John A. Doe", False)
    assert (user.password_hash, user.email, user.roles, user.organization_id) == (
        before.password_hash,
        "jdoe@example.org",
        "ADMIN",
        "root",
    )
