"""The users template through the real upload API and a real worker, checked in the database."""

import csv
import io
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import select

from loadbay.models import RosterUser
from tests.conftest import ApiUser, counts

HEADER = (
    "user_username,user_name,user_password,user_email,user_language,user_active,user_role,user_organizationId"
)


def _user(api: ApiUser, username: str) -> RosterUser | None:
    with api.runtime.sessions() as session:
        return session.scalar(select(RosterUser).where(RosterUser.username == username))


def _result_rows(api: ApiUser, status: dict[str, Any]) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(api.result_csv(str(status["referenceId"])))))


def test_creates_users_with_every_column(rostering: ApiUser) -> None:
    status = rostering.import_file(
        HEADER + ",user_externalId,user_metadata_grade\n"
        'alice,Alice,Wonder#land1,alice@example.org,en-US,TRUE,ADMIN|SUPPORT,root,"{""google"": ""a-1""}",7\n'
    )
    assert status["status"] == "processed"
    assert status["counts"] == counts(created=1)
    alice = _user(rostering, "alice")
    assert alice is not None
    assert (alice.name, alice.email, alice.language, alice.active, alice.roles, alice.organization_id) == (
        "Alice",
        "alice@example.org",
        "en-US",
        True,
        "ADMIN|SUPPORT",
        "root",
    )
    assert alice.external_id == '{"google":"a-1"}'
    assert alice.metadata_json == '{"grade": "7"}'
    assert alice.password_hash is not None
    assert alice.password_hash.startswith("$argon2id$")
    assert PasswordHasher().verify(alice.password_hash, "Wonder#land1")


def test_identical_row_is_unchanged_and_the_hash_is_kept(rostering: ApiUser) -> None:
    row = "alice,Alice,Wonder#land1,alice@example.org,en-US,TRUE,ADMIN,root\n"
    rostering.import_file(HEADER + "\n" + row)
    first_hash = _user(rostering, "alice").password_hash  # type: ignore[union-attr]
    status = rostering.import_file(HEADER + "\n" + row)
    assert status["counts"] == counts(unchanged=1)
    assert _user(rostering, "alice").password_hash == first_hash  # type: ignore[union-attr]


def test_changed_value_updates_and_a_left_out_column_keeps_its_value(rostering: ApiUser) -> None:
    rostering.import_file(HEADER + "\nalice,Alice,Wonder#land1,alice@example.org,en-US,TRUE,ADMIN,root\n")
    status = rostering.import_file("user_username,user_name,user_organizationId\nalice,Alice L.,root\n")
    assert status["counts"]["updated"] == 1
    alice = _user(rostering, "alice")
    assert alice is not None
    assert alice.name == "Alice L."
    assert alice.email == "alice@example.org"
    assert alice.roles == "ADMIN"


def test_blank_optional_cell_clears_the_value(rostering: ApiUser) -> None:
    rostering.import_file(HEADER + "\nalice,Alice,Wonder#land1,alice@example.org,en-US,TRUE,ADMIN,root\n")
    status = rostering.import_file("user_username,user_email,user_organizationId\nalice,,root\n")
    assert status["counts"]["updated"] == 1
    assert _user(rostering, "alice").email is None  # type: ignore[union-attr]


def test_new_password_is_rehashed_and_blank_keeps_the_old_one(rostering: ApiUser) -> None:
    rostering.import_file(HEADER + "\nalice,Alice,Wonder#land1,,,,,root\n")
    status = rostering.import_file(
        "user_username,user_password,user_organizationId\nalice,New#Secret9,root\n"
    )
    assert status["counts"]["updated"] == 1
    new_hash = _user(rostering, "alice").password_hash  # type: ignore[union-attr]
    assert PasswordHasher().verify(new_hash, "New#Secret9")  # type: ignore[arg-type]
    status = rostering.import_file("user_username,user_password,user_organizationId\nalice,,root\n")
    assert status["counts"]["unchanged"] == 1
    assert _user(rostering, "alice").password_hash == new_hash  # type: ignore[union-attr]


def test_prehashed_password_is_stored_as_given(rostering: ApiUser) -> None:
    hashed = PasswordHasher(time_cost=1, memory_cost=1024).hash("Already#Hashed1")
    status = rostering.import_file(f'user_username,user_password,user_organizationId\nbob,"{hashed}",root\n')
    assert status["counts"]["created"] == 1
    assert _user(rostering, "bob").password_hash == hashed  # type: ignore[union-attr]


def test_password_required_on_create_only(rostering: ApiUser) -> None:
    status = rostering.import_file("user_username,user_name,user_organizationId\ncarol,Carol,root\n")
    assert status["counts"]["failed"] == 1
    assert status["messages"] == ["Line 2: user_password: is required when the user is created"]


def test_invalid_rows_are_reported_by_line_and_valid_rows_written(rostering: ApiUser) -> None:
    status = rostering.import_file(
        HEADER + "\n"
        "ok1,One,Good#pass1,,,,,root\n"
        "bad,Bad,weak,not-an-email,english!,MAYBE,ADMIN|WIZARD,nowhere\n"
        ",NoKey,Good#pass1,,,,,root\n"
        "ok2,Two,Good#pass1,,,,,root\n"
    )
    assert status["status"] == "processed"
    assert status["counts"] == counts(created=2, failed=2)
    messages = status["messages"]
    assert (
        "Line 3: user_password: must be at least 8 characters with an upper-case letter, a lower-case letter and a special character"
        in messages
    )
    assert "Line 3: user_email: is not a valid e-mail address" in messages
    assert "Line 3: user_language: is not a language tag such as en-US" in messages
    assert "Line 3: user_active: 'MAYBE' is not TRUE or FALSE" in messages
    assert (
        "Line 3: user_role: 'WIZARD' is not one of ADMIN, CONTENT_CREATOR, GROUP_CREATOR, PUBLIC_SESSION_MANAGER, BATTERY_MANAGER, SUPPORT, DATA_EXPLORER"
        in messages
    )
    assert "Line 4: user_username: is required" in messages
    assert _user(rostering, "ok1") is not None
    assert _user(rostering, "ok2") is not None
    assert _user(rostering, "bad") is None


def test_unknown_organization_fails_the_row(rostering: ApiUser) -> None:
    status = rostering.import_file(HEADER + "\nalice,Alice,Wonder#land1,,,,,district-9\n")
    assert status["counts"]["failed"] == 1
    assert "user_organizationId: 'district-9' is not an existing organization unit" in status["messages"][0]


def test_same_key_twice_fails_the_second_row_naming_the_first(rostering: ApiUser) -> None:
    status = rostering.import_file(
        HEADER
        + "\nalice,A,Wonder#land1,,,,,root\nbob,B,Wonder#land1,,,,,root\nalice,A2,Wonder#land1,,,,,root\n"
    )
    assert status["counts"] == counts(created=2, failed=1)
    assert status["messages"] == ["Line 4: user_username: 'alice' already appears on line 2"]
    assert _user(rostering, "alice").name == "A"  # type: ignore[union-attr]


def test_numeric_active_is_accepted_with_a_warning(rostering: ApiUser) -> None:
    status = rostering.import_file(HEADER + "\nalice,A,Wonder#land1,,,0,,root\n")
    assert status["counts"]["created"] == 1
    assert status["messages"] == ["Line 2: user_active: '0' read as FALSE; write TRUE or FALSE"]
    assert _user(rostering, "alice").active is False  # type: ignore[union-attr]


def test_spreadsheet_exports_are_read(rostering: ApiUser) -> None:
    semicolon_bom = (
        "\ufeffUser_Username ; user_password;USER_ORGANIZATIONID\r\nsemi;Wonder#land1;root\r\n".encode()
    )
    assert rostering.import_file(semicolon_bom)["counts"]["created"] == 1
    utf16 = "user_username\tuser_password\tuser_organizationId\nzoë\tWonder#land1\troot\n".encode("utf-16")
    assert rostering.import_file(utf16)["counts"]["created"] == 1
    multiline = (
        'user_username,user_name,user_password,user_organizationId\nml,"Two\nLines",Wonder#land1,root\n'
    )
    status = rostering.import_file(multiline)
    assert status["counts"]["created"] == 1
    assert status["fileLine"] == 3
    assert _user(rostering, "zoë") is not None
    assert _user(rostering, "ml").name == "Two\nLines"  # type: ignore[union-attr]


def test_ragged_row_is_an_error_on_its_line(rostering: ApiUser) -> None:
    status = rostering.import_file("user_username,user_password,user_organizationId\nalice,Wonder#land1\n")
    assert status["counts"]["failed"] == 1
    assert status["messages"][0].startswith("Line 2: the row has 2 fields but the header has 3")


def test_unknown_header_fails_the_import_and_lists_the_templates(rostering: ApiUser) -> None:
    status = rostering.import_file("name,email\nAlice,a@example.org\n")
    assert status["status"] == "failed"
    message = status["messages"][0]
    assert message.startswith(
        "Line 1: the header matches no import template: none of its columns belongs to a template. "
        "Columns found: name, email."
    )
    assert "users: user_username*" in message
    rows = _result_rows(rostering, status)
    assert rows[0]["outcome"] == "failed"


def test_result_file_has_one_row_per_data_line_without_passwords(rostering: ApiUser) -> None:
    status = rostering.import_file(HEADER + "\nalice,A,Wonder#land1,,,,,root\nbob,B,bad,,,,,root\n")
    rows = _result_rows(rostering, status)
    assert [(r["line"], r["outcome"], r["key"]) for r in rows] == [
        ("2", "created", "alice"),
        ("3", "failed", "bob"),
    ]
    assert "user_password" not in rows[0]


def test_dry_run_validates_and_writes_nothing(rostering: ApiUser) -> None:
    status = rostering.import_file(HEADER + "\nalice,A,Wonder#land1,,,,,root\n", dryRun="true")
    assert status["status"] == "processed"
    assert status["counts"]["created"] == 1
    assert _user(rostering, "alice") is None


def test_tenants_do_not_share_users(rostering: ApiUser) -> None:
    other = ApiUser.create(rostering.http, rostering.runtime, tenant="district-b")
    rostering.import_file(HEADER + "\nalice,Alice A,Wonder#land1,,,,,root\n")
    status = other.import_file(HEADER + "\nalice,Alice B,Wonder#land1,,,,,root\n")
    assert status["counts"]["created"] == 1
    with rostering.runtime.sessions() as session:
        names = sorted(session.scalars(select(RosterUser.name).where(RosterUser.username == "alice")))
    assert names == ["Alice A", "Alice B"]


def test_large_file_spans_batches_with_exact_counts(rostering: ApiUser) -> None:
    rostering.runtime.settings.batch_rows = 100
    hashed = PasswordHasher(time_cost=1, memory_cost=1024).hash("Pre#hashed1")
    rows = "".join(f'user{i:04d},User {i},"{hashed}",root\n' for i in range(1050))
    status = rostering.import_file("user_username,user_name,user_password,user_organizationId\n" + rows)
    assert status["counts"]["created"] == 1050
    assert status["fileLine"] == 1051
    again = rostering.import_file(
        "user_username,user_name,user_organizationId\n"
        + "".join(f"user{i:04d},User {i}{'!' if i % 2 else ''},root\n" for i in range(1050))
    )
    assert again["counts"] == counts(updated=525, unchanged=525)


def test_an_external_id_nested_too_deep_fails_its_row_only(rostering: ApiUser) -> None:
    # Within the column's 4,000 characters, deeper than Python's JSON parser recurses.
    nested = '{""a"": ' + "[" * 1990 + "]" * 1990 + "}"
    status = rostering.import_file(
        HEADER + ",user_externalId\n"
        f'deep,Deep,Wonder#land1,deep@example.org,en-US,TRUE,ADMIN,root,"{nested}"\n'
        "fine,Fine,Wonder#land1,fine@example.org,en-US,TRUE,ADMIN,root,\n"
    )
    assert status["status"] == "processed", status
    assert status["counts"] == counts(created=1, failed=1)
    assert "user_externalId" in status["messages"][0]
