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


_FORMULA_REGEX = "^[=+\\-@\t\r\uff1d\uff0b\uff0d\uff20]"


def safe_cell_expr(column: pl.Expr) -> pl.Expr:
    """``safe_cell`` over a whole column at once."""
    risky = column.str.contains(_FORMULA_REGEX) & ~column.str.contains(_PLAIN_NUMBER.pattern)
    return pl.when(risky).then(pl.lit("'") + column).otherwise(column)
