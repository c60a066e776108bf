"""Spreadsheet-safe cells for CSV files that people open in Excel or LibreOffice."""

from __future__ import annotations

import re

import polars as pl

# A cell starting with one of these is run as a formula by spreadsheets (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


def safe_cell(value: str) -> str:
    """Prefix a would-be formula with an apostrophe; plain signed numbers stay as they are."""
    if value and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def safe_cell_expr(column: pl.Expr) -> pl.Expr:
    """``safe_cell`` over a whole column at once.

    The first character is compared with a list, not a pattern, and the number pattern runs
    only on the cells that start like a formula (the others are null to it, and polars skips
    nulls): 0.26 -> 0.14 s of CPU for a million rows of five columns (docs/engine.md)."""
    starts = pl.when(column.str.head(1).is_in(list(_FORMULA_START))).then(column)
    risky = ~starts.str.contains(_PLAIN_NUMBER.pattern)
    return pl.when(risky).then(pl.lit("'") + column).otherwise(column)
