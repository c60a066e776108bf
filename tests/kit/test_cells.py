from __future__ import annotations

import pytest

from loadbay.kit.cells import safe_cell


@pytest.mark.parametrize(
    "value",
    [
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
    ],
)
def test_formula_start_is_prefixed_with_apostrophe(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["-1", "+1", "-12.5", "+0,5", "-.5", "-1e5", "+2.5E-3", "-3,"])
def test_plain_signed_number_is_left_alone(value: str) -> None:
    assert safe_cell(value) == value


@pytest.mark.parametrize(
    "value",
    ["", "alice", "42", "a=b", "1-2", "user@example.com", " =1", "jean-luc", "O'Brien"],
)
def test_ordinary_text_is_untouched(value: str) -> None:
    assert safe_cell(value) == value


def test_signed_number_followed_by_a_formula_is_prefixed() -> None:
    value = "-1+cmd|' /C calc'!A0"
    assert safe_cell(value) == "'" + value
