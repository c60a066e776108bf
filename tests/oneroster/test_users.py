"""users.csv: users keyed by sourcedId in their orgs, usernames unique in the tenant, bulk and delta."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from loadbay.db import transaction
from loadbay.models import RosterUser
from loadbay.runtime import Runtime
from tests.oneroster.writing import OneRosterTenant

MODIFIED = "2026-12-01T08:00:00Z"


def user(
    sourced_id: str, username: str, orgs: str = "s1", role: str = "student", **cells: str
) -> dict[str, str]:
    row = {"sourcedId": sourced_id, "status": "", "dateLastModified": "", "enabledUser": "true"}
    row |= {"orgSourcedIds": orgs, "role": role, "username": username, "userIds": ""}
    row |= {"givenName": "Ada", "familyName": "Lovelace", "middleName": "", "identifier": "", "email": ""}
    row |= {"sms": "", "phone": "", "agentSourcedIds": "", "grades": "", "password": ""}
    return row | cells


@pytest.fixture
def tenant(runtime: Runtime) -> OneRosterTenant:
    tenant = OneRosterTenant(runtime)
    orgs = [
        {"sourcedId": "d1", "status": "", "dateLastModified": "", "name": "North", "type": "district"},
        {"sourcedId": "s1", "status": "", "dateLastModified": "", "name": "Hill", "type": "school"},
        {"sourcedId": "s2", "status": "", "dateLastModified": "", "name": "Vale", "type": "school"},
    ]
    done = tenant.run("orgs", [o | {"identifier": "", "parentSourcedId": ""} for o in orgs])
    assert done.counts["created"] == 3, done.messages
    return tenant


def stored(tenant: OneRosterTenant) -> dict[str | None, RosterUser]:
    return {u.source_id: u for u in tenant.rows(RosterUser)}


def codes(done: object) -> list[tuple[int | None, str | None, str]]:
    return [(line, column, code) for line, column, code, _, _ in done.messages]  # type: ignore[attr-defined]


def test_a_bulk_file_creates_users_with_every_column(tenant: OneRosterTenant) -> None:
    done = tenant.run(
        "users",
        [
            user(
                "u1",
                "ada",
                orgs="s2, s1,s2",
                role="teacher",
                userIds="{LDAP:ada}",
                middleName="King",
                identifier="T-1",
                email="ada@example.org",
                sms="+1 555 0100",
                phone="555 0101",
                agentSourcedIds="p1,p2",
                grades="09, 10",
                enabledUser="FALSE",
            ),
            user("u2", "bob", givenName="Bob", familyName="Byte", enabledUser="True"),
        ],
    )
    assert done.job.status == "processed", done.messages
    assert done.counts["created"] == 2
    users = stored(tenant)
    ada = users["u1"]
    assert (ada.username, ada.name, ada.given_name, ada.family_name) == (
        "ada",
        "Ada Lovelace",
        "Ada",
        "Lovelace",
    )
    assert (ada.organization_id, ada.organization_ids) == ("s2", "s2,s1")
    assert (ada.roles, ada.active, ada.middle_name, ada.identifier) == ("teacher", False, "King", "T-1")
    assert (ada.email, ada.sms, ada.phone) == ("ada@example.org", "+1 555 0100", "555 0101")
    assert (ada.user_ids, ada.agent_ids, ada.grades) == ("{LDAP:ada}", "p1,p2", "09,10")
    assert ada.password_hash is None
    bob = users["u2"]
    assert (bob.name, bob.active, bob.organization_ids, bob.grades) == ("Bob Byte", True, "s1", None)


def test_an_identical_row_is_unchanged_and_a_changed_one_updated(tenant: OneRosterTenant) -> None:
    rows = [user("u1", "ada", email="ada@example.org"), user("u2", "bob")]
    tenant.run("users", rows)
    done = tenant.run("users", [rows[0], user("u2", "bobby", email="")])
    assert (done.counts["unchanged"], done.counts["updated"]) == (1, 1), done.messages
    assert stored(tenant)["u2"].username == "bobby"


def test_row_errors_name_the_value_and_the_file(tenant: OneRosterTenant) -> None:
    done = tenant.run(
        "users",
        [
            user("u1", "ada", role="janitor"),
            user("u2", "bob", orgs="s1,x9,x8"),
            user("u3", "cy", enabledUser=""),
            user("u4", "di", enabledUser="yes"),
            user("u5", "ed", email="not-an-email"),
            user("u6", "flo", status="tobedeleted"),
            user("u7", "gus", givenName=""),
            user("u8", "hal", orgs="root"),
            user("u9", "ida"),
        ],
    )
    assert done.counts["created"] == 1
    assert done.counts["failed"] == 8
    assert codes(done) == [
        (2, "role", "not_allowed"),
        (3, "orgSourcedIds", "unknown_reference"),
        (4, "enabledUser", "required"),
        (5, "enabledUser", "invalid_boolean"),
        (6, "email", "invalid_format"),
        (7, "status", "not_allowed"),
        (8, "givenName", "required"),
        (9, "orgSourcedIds", "unknown_reference"),
    ]
    assert done.messages[1][4] == "'x9', 'x8' are not the sourcedIds of orgs in orgs.csv or already imported"
    assert done.messages[7][4] == "'root' is not the sourcedId of an org in orgs.csv or already imported"


def test_a_username_another_user_holds_is_a_row_error(tenant: OneRosterTenant, runtime: Runtime) -> None:
    with transaction(runtime.write_sessions) as session:
        session.add(RosterUser(tenant_id=tenant.tenant_id, username="tao", organization_id="root"))
    tenant.run("users", [user("u1", "ada")])
    done = tenant.run(
        "users",
        [
            user("u2", "tao"),
            user("u3", "ada"),
            user("u4", "cy"),
            user("u5", "cy"),
            user("u1", "ada"),
        ],
    )
    assert codes(done) == [
        (2, "username", "duplicate_key"),
        (3, "username", "duplicate_key"),
        (5, "username", "duplicate_key"),
    ]
    assert [text for *_, text in done.messages] == [
        "'tao' is already the username of another user of the tenant (not from OneRoster)",
        "'ada' is already the username of the user with sourcedId 'u1'",
        "'cy' is already the username of sourcedId 'u4' earlier in the file",
    ]
    assert (done.counts["created"], done.counts["unchanged"], done.counts["failed"]) == (1, 1, 3)
    assert stored(tenant)[None].username == "tao"


def test_a_username_taken_in_an_earlier_batch_is_a_row_error(runtime: Runtime) -> None:
    runtime.settings.batch_bytes = 400
    tenant = OneRosterTenant(runtime)
    tenant.run(
        "orgs", [{"sourcedId": "s1", "status": "", "dateLastModified": "", "name": "Hill", "type": "school"}]
    )
    rows = [user(f"u{i}", f"name{i}") for i in range(30)] + [user("dup", "name3")]
    for dry_run in (True, False):
        done = tenant.run("users", rows, dry_run=dry_run)
        assert codes(done) == [(32, "username", "duplicate_key")], done.messages
        assert "sourcedId 'u3' earlier in the file" in done.messages[0][4]
    assert len(tenant.rows(RosterUser)) == 30


def test_passwords_are_hashed_like_tao_and_never_echoed(tenant: OneRosterTenant) -> None:
    prehashed = PasswordHasher().hash("Elsewhere#1")
    done = tenant.run(
        "users",
        [
            user("u1", "ada", password="Secret#123"),
            user("u2", "bob", password=prehashed),
            user("u3", "cy", password="simple"),
            user("u4", "di"),
        ],
    )
    assert codes(done) == [(4, "password", "weak_password")]
    assert done.results
    assert not [row for row in done.results if "Secret#123" in row.values() or "simple" in row.values()]
    users = stored(tenant)
    first = users["u1"].password_hash
    assert first is not None
    assert PasswordHasher().verify(first, "Secret#123")
    assert users["u2"].password_hash == prehashed
    assert users["u4"].password_hash is None
    # The same password again, or a blank cell: the stored hash stays and the row is unchanged.
    again = tenant.run("users", [user("u1", "ada", password="Secret#123"), user("u2", "bob")])
    assert again.counts["unchanged"] == 2, again.messages
    assert stored(tenant)["u1"].password_hash == first
    assert stored(tenant)["u2"].password_hash == prehashed


def test_a_delta_deactivates_tobedeleted_users_and_upserts_active_ones(
    tenant: OneRosterTenant, runtime: Runtime
) -> None:
    with transaction(runtime.write_sessions) as session:
        session.add(RosterUser(tenant_id=tenant.tenant_id, username="tao", organization_id="root"))
    tenant.run("users", [user("u1", "ada"), user("u2", "bob")])
    done = tenant.run(
        "users",
        [
            user("u1", "ada", status="tobedeleted", dateLastModified=MODIFIED),
            user("u2", "bob", orgs="s2", status="active", dateLastModified=MODIFIED),
            user("u3", "cy", status="active", dateLastModified=MODIFIED),
            user("gone", "nobody", status="tobedeleted", dateLastModified=MODIFIED),
            user("u4", "di"),
        ],
        mode="delta",
    )
    assert done.counts == {
        "created": 1,
        "updated": 1,
        "unchanged": 1,
        "failed": 1,
        "deactivated": 1,
        "removed": 0,
    }, done.messages
    users = stored(tenant)
    assert users["u1"].active is False
    assert users["u2"].organization_id == "s2"
    assert users["u3"].active is True
    assert "gone" not in users
    assert users[None].active is True
    assert {column for _, column, _, _, _ in done.messages} == {"status", "dateLastModified"}


def test_a_dry_run_writes_nothing(tenant: OneRosterTenant) -> None:
    done = tenant.run("users", [user("u1", "ada", password="Secret#123"), user("u2", "bob")], dry_run=True)
    assert done.counts["created"] == 2, done.messages
    assert tenant.rows(RosterUser) == []


def test_a_bulk_sync_deactivates_the_users_left_out_and_never_taos(
    tenant: OneRosterTenant, runtime: Runtime
) -> None:
    tenant.run("users", [user(f"u{i}", f"name{i}") for i in range(20)])
    with transaction(runtime.write_sessions) as session:
        session.add(RosterUser(tenant_id=tenant.tenant_id, username="tao", organization_id="root"))
    done = tenant.run("users", [user(f"u{i}", f"name{i}") for i in range(19)], sync=True)
    assert done.job.status == "processed", done.messages
    assert (done.counts["unchanged"], done.counts["deactivated"]) == (19, 1), done.messages
    users = stored(tenant)
    assert users["u19"].active is False
    assert users[None].active is True


def test_taos_users_do_not_count_against_the_change_threshold(
    tenant: OneRosterTenant, runtime: Runtime
) -> None:
    tenant.run("users", [user(f"u{i}", f"name{i}") for i in range(20)])
    with transaction(runtime.write_sessions) as session:
        session.add_all(
            RosterUser(tenant_id=tenant.tenant_id, username=f"tao{i}", organization_id="root")
            for i in range(5)
        )
    done = tenant.run(
        "users", [user(f"u{i}", f"name{i}") for i in range(20)], sync=True, change_threshold=10.0
    )
    assert done.job.status == "processed", done.messages
