from __future__ import annotations

import polars as pl
import pytest

from loadbay.kit.cells import safe_cell, safe_cell_expr

FORMULAS = [
    "=1+1",
    '=HYPERLINK("http://evil.example","click")',
    "+SUM(A1:A2)",
    "-2+3",
    "@SUM(A1)",
    "\tcmd",
    "\r=1",
    "\uff1d1+1",
    "\uff0b1",
    "\uff0d1",
    "\uff20SUM(A1)",
    "-",
    "+",
    "-1+cmd|' /C calc'!A0",
]
NUMBERS = ["-1", "+1", "-12.5", "+0,5", "-.5", "-1e5", "+2.5E-3", "-3,"]
TEXT = ["", "alice", "42", "a=b", "1-2", "user@example.com", " =1", "jean-luc", "O'Brien", "\uff21b"]


@pytest.mark.parametrize("value", FORMULAS)
def test_formula_start_is_prefixed_with_apostrophe(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", NUMBERS)
def test_plain_signed_number_is_left_alone(value: str) -> None:
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", TEXT)
def test_ordinary_text_is_untouched(value: str) -> None:
    assert safe_cell(value) == value


def test_signed_number_followed_by_a_formula_is_prefixed() -> None:
    value = "-1+cmd|' /C calc'!A0"
    assert safe_cell(value) == "'" + value


def test_a_column_at_once_is_made_safe_cell_by_cell_as_one_value_is() -> None:
    # The result file makes whole columns safe (safe_cell_expr); a blank cell (null) stays blank.
    values = [*FORMULAS, *NUMBERS, *TEXT, None]
    column = pl.DataFrame({"cell": values}, schema={"cell": pl.Utf8})
    made_safe = column.select(safe_cell_expr(pl.col("cell")).alias("cell"))["cell"].to_list()
    assert made_safe == [None if value is None else safe_cell(value) for value in values]
