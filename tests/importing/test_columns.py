from __future__ import annotations

import polars as pl
import pytest

from loadbay.importing.columns import (
    Column,
    Required,
    boolean,
    column_findings,
    json_object,
    one_of,
    pattern,
)
from loadbay.importing.messages import found


def validate_frame(frame: pl.DataFrame, columns: tuple[Column, ...], present: frozenset[str]) -> pl.Series:
    """Each row's messages as the result file words them, from the column checks' findings."""
    messages = found(frame, column_findings(columns, present))
    texts = [[] for _ in range(frame.height)]
    for row, column, text in messages.select("row", "column", "text").iter_rows():
        texts[row].append(f"{column}: {text}")
    return pl.Series(texts, dtype=pl.List(pl.Utf8))


ROLES = ("ADMIN", "SUPPORT", "DATA_EXPLORER")


def problems(column: Column, *values: str | None) -> list[list[str]]:
    """The problems of each value, read as the cells of ``column`` in a batch."""
    frame = pl.DataFrame({column.name: list(values)}, schema={column.name: pl.Utf8})
    result: list[list[str]] = validate_frame(frame, (column,), frozenset({column.name})).to_list()
    return result


def test_valid_row_has_no_problems() -> None:
    columns = (
        Column("user_username", Required.ALWAYS),
        Column("user_email", checks=(pattern(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "is not an e-mail"),)),
        Column("user_active", checks=(boolean,)),
    )
    frame = pl.DataFrame(
        {"user_username": ["alice"], "user_email": ["alice@example.com"], "user_active": ["TRUE"]},
        schema=dict.fromkeys(("user_username", "user_email", "user_active"), pl.Utf8),
    )
    present = frozenset(frame.columns)
    assert validate_frame(frame, columns, present).to_list() == [[]]


@pytest.mark.parametrize("value", ["", "   ", None])
def test_required_blank_cell_is_reported(value: str | None) -> None:
    assert problems(Column("user_username", Required.ALWAYS), value) == [["user_username: is required"]]


def test_required_missing_column_is_reported_on_every_row() -> None:
    frame = pl.DataFrame({"other": ["x", "y"]}, schema={"other": pl.Utf8})
    result = validate_frame(frame, (Column("user_username", Required.ALWAYS),), frozenset({"other"}))
    assert result.to_list() == [["user_username: the column is missing from the header"]] * 2


def test_missing_optional_column_is_not_reported() -> None:
    frame = pl.DataFrame({"other": ["x"]}, schema={"other": pl.Utf8})
    result = validate_frame(frame, (Column("user_name"), Column("other")), frozenset({"other"}))
    assert result.to_list() == [[]]


def test_on_create_blank_keeps_where_the_column_says_so() -> None:
    assert problems(Column("user_password", Required.ON_CREATE, blank_keeps=True), "") == [[]]


def test_on_create_blank_is_an_error_on_every_row() -> None:
    # A file that has the column must fill it: a blank cannot clear a value every record needs.
    assert problems(Column("user_organizationId", Required.ON_CREATE), "", "root") == [
        ["user_organizationId: is required"],
        [],
    ]


def test_max_length() -> None:
    column = Column("user_language", max_length=5)
    assert problems(column, "en-US", "en-GB1") == [
        [],
        ["user_language: is longer than 5 characters"],
    ]


def test_max_length_is_255_by_default() -> None:
    assert problems(Column("user_name"), "x" * 255, "x" * 256) == [
        [],
        ["user_name: is longer than 255 characters"],
    ]


def test_pattern_is_checked_on_the_stripped_value() -> None:
    column = Column("code", checks=(pattern(r"^[A-Z]{2}$", "is not a country code"),))
    assert problems(column, " FR ", "France") == [[], ["code: is not a country code"]]


def test_one_of_names_the_bad_value_and_the_allowed_ones() -> None:
    column = Column("role", checks=(one_of(ROLES),))
    assert problems(column, "ADMIN", " SUPPORT ", "admin", "BOSS") == [
        [],
        [],
        ["role: 'admin' is not one of ADMIN, SUPPORT, DATA_EXPLORER"],
        ["role: 'BOSS' is not one of ADMIN, SUPPORT, DATA_EXPLORER"],
    ]


def test_one_of_with_separator_lists_every_bad_value() -> None:
    column = Column("role", checks=(one_of(ROLES, separator="|"),))
    assert problems(column, "ADMIN|SUPPORT", " ADMIN | DATA_EXPLORER ", "ADMIN|BOSS|CHIEF") == [
        [],
        [],
        ["role: 'BOSS, CHIEF' is not one of ADMIN, SUPPORT, DATA_EXPLORER"],
    ]


def test_one_of_with_separator_ignores_empty_parts() -> None:
    # "ADMIN||SUPPORT" is stored as ADMIN|SUPPORT, so the empty part is no problem, and
    # must not garble the message when another part is bad.
    column = Column("role", checks=(one_of(ROLES, separator="|"),))
    assert problems(column, "ADMIN||SUPPORT|", "ADMIN||BOSS") == [
        [],
        ["role: 'BOSS' is not one of ADMIN, SUPPORT, DATA_EXPLORER"],
    ]


@pytest.mark.parametrize("value", ["TRUE", "FALSE", "true", "False", "1", "0", " TRUE "])
def test_boolean_accepts(value: str) -> None:
    assert problems(Column("active", checks=(boolean,)), value) == [[]]


@pytest.mark.parametrize("value", ["yes", "no", "T", "2", "TRUE!"])
def test_boolean_rejects(value: str) -> None:
    assert problems(Column("active", checks=(boolean,)), value) == [
        [f"active: '{value}' is not TRUE or FALSE"]
    ]


@pytest.mark.parametrize("value", ['{"google": "user-id"}', "{}", '  {"a": 1}  '])
def test_json_object_accepts(value: str) -> None:
    assert problems(Column("ext", checks=(json_object,)), value) == [[]]


@pytest.mark.parametrize("value", ["[1, 2]", '"text"', "google=user-id", "{unclosed"])
def test_json_object_rejects(value: str) -> None:
    assert problems(Column("ext", checks=(json_object,)), value) == [
        ['ext: must be a JSON object such as {"google": "user-id"}']
    ]


@pytest.mark.parametrize("value", ["", "  ", None])
def test_blank_optional_cell_is_not_checked(value: str | None) -> None:
    column = Column("ext", max_length=1, checks=(json_object, boolean, one_of(ROLES)))
    assert problems(column, value) == [[]]


def test_every_problem_of_a_row_is_listed() -> None:
    column = Column("role", max_length=3, checks=(one_of(ROLES),))
    assert problems(column, "BOSS") == [
        ["role: is longer than 3 characters", "role: 'BOSS' is not one of ADMIN, SUPPORT, DATA_EXPLORER"]
    ]


def test_rows_are_validated_independently() -> None:
    column = Column("active", Required.ALWAYS, checks=(boolean,))
    assert problems(column, "TRUE", "", "maybe") == [
        [],
        ["active: is required"],
        ["active: 'maybe' is not TRUE or FALSE"],
    ]


def test_each_finding_carries_its_column_code_and_severity() -> None:
    columns = (
        Column("user_email", checks=(pattern(r"@", "is not an e-mail address"),)),
        Column("user_active", checks=(boolean,)),
    )
    frame = pl.DataFrame({"user_email": ["nope", "a@b"], "user_active": ["TRUE", "maybe"]})
    messages = found(frame, column_findings(columns, frozenset(frame.columns)))
    assert messages.rows() == [
        (0, "user_email", "invalid_format", "error", "is not an e-mail address"),
        (1, "user_active", "invalid_boolean", "error", "'maybe' is not TRUE or FALSE"),
    ]
