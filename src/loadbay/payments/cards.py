"""Raw card numbers (PANs): found anywhere in a cell, rejected, and masked wherever echoed.

A card number is a run of 13 to 19 digits, single spaces or dashes allowed between digits,
that passes the Luhn check. Finding one is sparse work: a vectorized regex picks the few
cells with 13 or more digits in a row, and only those are examined in Python.
"""

from __future__ import annotations

import re

import polars as pl

from loadbay.importing.columns import Check

# Thirteen or more digits with at most one space or dash between two digits: every cell that
# may hold a card number matches, and almost every other cell does not.
CANDIDATE = r"\d(?:[ -]?\d){12,}"
_RUN = re.compile(r"\d(?:[ -]?\d)*")
_GROUP = re.compile(r"\d+")
MIN_DIGITS = 13
MAX_DIGITS = 19


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def card_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds card numbers, as (start, end) offsets.

    Within a run like ``4111 1111 1111 1111 2025`` every sequence of whole digit groups of
    13-19 digits is tried, so a number followed by a year or an amount is still found; a
    longer unbroken digit string (a 25-digit reference) is not a card number.
    """
    spans: list[tuple[int, int]] = []
    for run in _RUN.finditer(text):
        groups = [(run.start() + m.start(), run.start() + m.end()) for m in _GROUP.finditer(run.group())]
        for first in range(len(groups)):
            digits = ""
            for last in range(first, len(groups)):
                start, end = groups[last]
                digits += text[start:end]
                if len(digits) > MAX_DIGITS:
                    break
                if len(digits) >= MIN_DIGITS and luhn_valid(digits):
                    spans.append((groups[first][0], end))
    return spans


def mask_text(text: str) -> str:
    """Every card number in ``text`` with all but its last four digits replaced by ``*``."""
    spans = card_spans(text)
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        digit_positions = [i for i in range(start, end) if chars[i].isdigit() or chars[i] == "*"]
        for i in digit_positions[:-4]:
            chars[i] = "*"
    return "".join(chars)


def mask_cards(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (Utf8 columns) with every card number masked; the import type's ``mask`` hook."""
    replaced = []
    for name in frame.columns:
        column = frame[name]
        hits = column.str.contains(CANDIDATE).fill_null(False)
        if not hits.any():
            continue
        values = column.to_list()
        for index in hits.arg_true().to_list():
            values[index] = mask_text(values[index])
        replaced.append(pl.Series(name, values, dtype=pl.Utf8))
    return frame.with_columns(replaced) if replaced else frame


def _card_problems(values: pl.Series) -> pl.Series:
    problems: list[str | None] = [None] * len(values)
    hits = values.str.contains(CANDIDATE).fill_null(False)
    for index in hits.arg_true().to_list():
        text = values[index]
        if card_spans(text):
            problems[index] = (
                f"looks like a raw card number ({mask_text(text)}, passes the Luhn check); "
                "send tokenized payment records only, with the processor's token instead of the number"
            )
    return pl.Series(values.name, problems, dtype=pl.Utf8)


def _no_card_number(value: pl.Expr) -> pl.Expr:
    return value.map_batches(_card_problems, return_dtype=pl.Utf8)


# A column check: a problem when the cell holds a card number (the message shows it masked).
no_card_number = Check("card_number", _no_card_number)


def shown(value: pl.Expr) -> pl.Expr:
    """The cell as a message may quote it: masked when it may hold a card number."""
    return (
        pl.when(value.str.contains(CANDIDATE))
        .then(pl.lit("a value with a card-like number"))
        .otherwise(pl.format("'{}'", value))
    )
