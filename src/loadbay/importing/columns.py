"""Column declarations and their vectorized checks (polars expressions over a batch)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

import polars as pl

from loadbay.importing.messages import Finding


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


@dataclass(frozen=True)
class Check:
    """A column check: ``test`` takes the column's (stripped) value and returns a Utf8 problem
    message, null when fine; ``code`` names the kind of problem (messages.CODES)."""

    code: str
    test: Callable[[pl.Expr], pl.Expr]

    def __call__(self, value: pl.Expr) -> pl.Expr:
        return self.test(value)


@dataclass(frozen=True)
class Column:
    name: str
    required: Required = Required.NO
    description: str = ""
    max_length: int | None = 255
    checks: tuple[Check, ...] = field(default=())
    # Secret columns never reach a result file, a log line or the stored copy after processing.
    secret: bool = False
    # A blank cell keeps the stored value instead of being an error (a password left blank).
    blank_keeps: bool = False

    @property
    def mandatory_label(self) -> str:
        return {Required.ALWAYS: "*", Required.ON_CREATE: "+", Required.NO: ""}[self.required]


def pattern(regex: str, problem: str) -> Check:
    def check(value: pl.Expr) -> pl.Expr:
        return pl.when(value.str.contains(regex)).then(None).otherwise(pl.lit(problem))

    return Check("invalid_format", check)


def one_of(values: tuple[str, ...], *, separator: str | None = None) -> Check:
    allowed = ", ".join(values)
    if separator is None:

        def single(value: pl.Expr) -> pl.Expr:
            return (
                pl.when(value.is_in(values))
                .then(None)
                .otherwise(pl.format("'{}' is not one of {}", value, pl.lit(allowed)))
            )

        return Check("not_allowed", single)

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

    return Check("not_allowed", many)


def _boolean(value: pl.Expr) -> pl.Expr:
    upper = value.str.to_uppercase()
    return (
        pl.when(upper.is_in(BOOLEAN_TRUE + BOOLEAN_FALSE + BOOLEAN_LEGACY))
        .then(None)
        .otherwise(pl.format("'{}' is not TRUE or FALSE", value))
    )


boolean = Check("invalid_boolean", _boolean)


def _json_object(value: pl.Expr) -> pl.Expr:
    # A cheap vectorized shape test here; the writer parses the JSON for real.
    return (
        pl.when(value.str.contains(r"^\s*\{.*\}\s*$"))
        .then(None)
        .otherwise(pl.lit('must be a JSON object such as {"google": "user-id"}'))
    )


json_object = Check("invalid_json", _json_object)


def column_findings(columns: tuple[Column, ...], present: frozenset[str]) -> list[Finding]:
    """Every check of ``columns`` as findings over a batch, column by column.

    A blank cell of a mandatory column (``ALWAYS``, or ``ON_CREATE`` when the file has the column)
    is an error on every row; a ``blank_keeps`` one keeps the stored value. An ``ON_CREATE``
    column the file leaves out is the writer's to check: it knows which rows create.
    """
    findings: list[Finding] = []
    for column in columns:
        if column.name not in present:
            if column.required is Required.ALWAYS:
                findings.append(
                    Finding(column.name, "missing_column", pl.lit("the column is missing from the header"))
                )
            continue
        raw = pl.col(column.name)
        value = raw.str.strip_chars()
        blank = raw.is_null() | (value.str.len_chars() == 0)
        if column.required is not Required.NO and not column.blank_keeps:
            findings.append(Finding(column.name, "required", pl.when(blank).then(pl.lit("is required"))))
        if column.max_length is not None:
            findings.append(
                Finding(
                    column.name,
                    "too_long",
                    pl.when(~blank & (raw.str.len_chars() > column.max_length)).then(
                        pl.lit(f"is longer than {column.max_length} characters")
                    ),
                )
            )
        findings.extend(
            Finding(column.name, check.code, pl.when(blank).then(None).otherwise(check(value)))
            for check in column.checks
        )
    return findings
