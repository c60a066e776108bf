"""Column declarations and their vectorized validation (polars expressions over a batch)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

import polars as pl


class Required(Enum):
    NO = "no"
    ALWAYS = "always"
    ON_CREATE = "on_create"


BOOLEAN_TRUE = ("TRUE",)
BOOLEAN_FALSE = ("FALSE",)
# Accepted, with a warning in the row's messages, because spreadsheets turn TRUE into 1.
BOOLEAN_LEGACY = ("1", "0")

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
LANGUAGE_TAG = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"

Check = Callable[[pl.Expr], pl.Expr]
"""Takes the column's (stripped) value and returns a Utf8 problem message, null when fine."""


@dataclass(frozen=True)
class Column:
    name: str
    required: Required = Required.NO
    description: str = ""
    max_length: int | None = 255
    checks: tuple[Check, ...] = field(default=())
    # Secret columns never reach a result file, a log line or the stored copy after processing.
    secret: bool = False

    @property
    def mandatory_label(self) -> str:
        return {Required.ALWAYS: "*", Required.ON_CREATE: "* on create", Required.NO: ""}[self.required]


def pattern(regex: str, problem: str) -> Check:
    def check(value: pl.Expr) -> pl.Expr:
        return pl.when(value.str.contains(regex)).then(None).otherwise(pl.lit(problem))

    return check


def one_of(values: tuple[str, ...], *, separator: str | None = None) -> Check:
    allowed = ", ".join(values)
    if separator is None:

        def single(value: pl.Expr) -> pl.Expr:
            return (
                pl.when(value.is_in(values))
                .then(None)
                .otherwise(pl.format("'{}' is not one of {}", value, pl.lit(allowed)))
            )

        return single

    def many(value: pl.Expr) -> pl.Expr:
        parts = value.str.split(separator).list.eval(
            pl.element().str.strip_chars().filter(pl.element().str.strip_chars().str.len_chars() > 0)
        )
        bad = parts.list.eval(pl.element().filter(~pl.element().is_in(values))).list.join(", ")
        return (
            pl.when(bad.str.len_chars() == 0)
            .then(None)
            .otherwise(pl.format("'{}' is not one of {}", bad, pl.lit(allowed)))
        )

    return many


def boolean(value: pl.Expr) -> pl.Expr:
    upper = value.str.to_uppercase()
    return (
        pl.when(upper.is_in(BOOLEAN_TRUE + BOOLEAN_FALSE + BOOLEAN_LEGACY))
        .then(None)
        .otherwise(pl.format("'{}' is not TRUE or FALSE", value))
    )


def json_object(value: pl.Expr) -> pl.Expr:
    # A cheap vectorized shape test here; the writer parses the JSON for real.
    return (
        pl.when(value.str.contains(r"^\s*\{.*\}\s*$"))
        .then(None)
        .otherwise(pl.lit('must be a JSON object such as {"google": "user-id"}'))
    )


def validate_frame(frame: pl.DataFrame, columns: tuple[Column, ...], present: frozenset[str]) -> pl.Series:
    """One list of ``column: problem`` strings per row (empty when the row is valid).

    Blank cells of ``ALWAYS`` columns are errors; ``ON_CREATE`` is checked by the writer,
    which knows whether a row creates or updates.
    """
    problems: list[pl.Expr] = []
    for column in columns:
        if column.name not in present:
            if column.required is Required.ALWAYS:
                problems.append(pl.lit(f"{column.name}: the column is missing from the header"))
            continue
        raw = pl.col(column.name)
        value = raw.str.strip_chars()
        blank = raw.is_null() | (value.str.len_chars() == 0)
        checks: list[pl.Expr] = []
        if column.required is Required.ALWAYS:
            checks.append(pl.when(blank).then(pl.lit("is required")).otherwise(None))
        if column.max_length is not None:
            checks.append(
                pl.when(~blank & (raw.str.len_chars() > column.max_length))
                .then(pl.lit(f"is longer than {column.max_length} characters"))
                .otherwise(None)
            )
        checks.extend(pl.when(blank).then(None).otherwise(check(value)) for check in column.checks)
        problems.extend(
            pl.when(check.is_null()).then(None).otherwise(pl.format("{}: {}", pl.lit(column.name), check))
            for check in checks
        )
    if not problems:
        return pl.Series("problems", [[] for _ in range(frame.height)], dtype=pl.List(pl.Utf8))
    # with_columns, not select: a constant problem must still be repeated on every row.
    return frame.with_columns(pl.concat_list(problems).list.drop_nulls().alias("_problems"))["_problems"]
