"""Messages as data: found as frames, rendered at the edge, never parsed back."""

import re
from pathlib import Path

import polars as pl
import pytest

from loadbay.importing.messages import CODES, ERROR, WARNING, Finding, found, ordered, render, row_texts

ENGINE_DOC = Path(__file__).parents[2] / "docs" / "engine.md"


def test_findings_become_one_message_per_failing_cell_in_row_order() -> None:
    frame = pl.DataFrame({"a": ["1", "x", "y"], "b": ["ok", "bad", "ok"]})
    messages = found(
        frame,
        [
            Finding("a", "invalid_format", pl.when(pl.col("a") != "1").then(pl.lit("is not 1"))),
            Finding(
                "b", "not_allowed", pl.when(pl.col("b") == "bad").then(pl.format("'{}' is bad", "b")), WARNING
            ),
        ],
    )
    assert messages.rows() == [
        (1, "a", "invalid_format", ERROR, "is not 1"),
        (1, "b", "not_allowed", WARNING, "'bad' is bad"),
        (2, "a", "invalid_format", ERROR, "is not 1"),
    ]


def test_the_seed_strings_are_rendered_from_the_record() -> None:
    assert render(3, "user_email", "is not a valid e-mail address") == (
        "Line 3: user_email: is not a valid e-mail address"
    )
    assert render(9, "user_username, group_name", "'a / b' already appears on line 4") == (
        "Line 9: user_username, group_name: 'a / b' already appears on line 4"
    )
    assert render(1, None, "the header matches no import template.") == (
        "Line 1: the header matches no import template."
    )
    assert render(None, None, "onError=abort: nothing was written.") == "onError=abort: nothing was written."


def test_a_rows_messages_are_joined_for_the_result_file() -> None:
    reader = pl.DataFrame(
        {"row": [0], "column": [None], "code": ["ragged_row"], "severity": [ERROR], "text": ["short"]},
        schema={"row": pl.Int64, "column": pl.Utf8, "code": pl.Utf8, "severity": pl.Utf8, "text": pl.Utf8},
    )
    columns = pl.DataFrame(
        {
            "row": [0, 2],
            "column": ["a", "b"],
            "code": ["required"] * 2,
            "severity": [ERROR] * 2,
            "text": ["is required"] * 2,
        }
    )
    joined = row_texts(ordered(reader, columns))
    assert joined.rows() == [(0, "short | a: is required"), (2, "b: is required")]


def test_every_code_is_documented_for_clients() -> None:
    # Clients branch on codes; docs/engine.md is where they read them, one table row per code.
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", ENGINE_DOC.read_text(), flags=re.MULTILINE))
    assert documented == set(CODES)


def test_a_finding_with_an_unlisted_code_is_refused() -> None:
    with pytest.raises(ValueError, match="not_a_code"):
        Finding("a", "not_a_code", pl.lit("x"))
