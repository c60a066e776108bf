from __future__ import annotations

import loadbay.rostering  # noqa: F401  registers the users type
from loadbay.importing.registry import describe_types, detect, get_type

USERS_HEADER = [
    "user_username",
    "user_name",
    "user_password",
    "user_email",
    "user_language",
    "user_active",
    "user_role",
    "user_organizationId",
    "user_externalId",
]


def test_detects_users_from_the_template_header() -> None:
    detected = detect(USERS_HEADER)
    assert detected is not None
    assert detected.name == "users"


def test_detects_users_from_the_mandatory_columns_alone() -> None:
    detected = detect(["user_organizationId", "user_username"])
    assert detected is not None
    assert detected.name == "users"


def test_detects_users_in_any_casing_with_metadata_columns() -> None:
    detected = detect(["USER_USERNAME", "User_OrganizationID", "user_metadata_GRADE", "USER_METADATA_school"])
    assert detected is not None
    assert detected.name == "users"


def test_unknown_column_matches_no_type() -> None:
    assert detect(["user_username", "user_organizationId", "user_shoe_size"]) is None


def test_bare_metadata_prefix_is_an_unknown_column() -> None:
    assert detect(["user_username", "user_organizationId", "user_metadata_"]) is None


def test_a_header_without_the_key_matches_no_type() -> None:
    assert detect(["user_name", "user_email"]) is None


def test_detect_filters_by_scope() -> None:
    assert detect(USERS_HEADER, scope="rostering") is not None
    assert detect(USERS_HEADER, scope="billing") is None


def test_describe_types_lists_users_with_mandatory_marks() -> None:
    description = describe_types()
    users_part = next(part for part in description.split("; ") if part.startswith("users: "))
    for part in (
        "user_username*",
        "user_password+",
        "user_organizationId+",
        "user_name,",
        "user_metadata_<KEY>",
    ):
        assert part in users_part
    assert "user_name*" not in users_part


def test_canonical_gives_the_declared_spelling() -> None:
    users = get_type("users")
    assert users is not None
    assert users.canonical("USER_ORGANIZATIONID") == "user_organizationId"
    assert users.canonical("user_externalid") == "user_externalId"
    # The key after the prefix keeps the file's spelling; only the prefix is normalised.
    assert users.canonical("User_Metadata_Grade") == "user_metadata_Grade"
    assert users.canonical("user_metadata_") is None
    assert users.canonical("username") is None


def test_required_and_secret_columns() -> None:
    users = get_type("users")
    assert users is not None
    assert users.required_columns == ("user_username",)
    assert users.on_create_columns == ("user_password", "user_organizationId")
    assert users.secret_columns == frozenset({"user_password"})
