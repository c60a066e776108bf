"""Expressions the writers share: TAO's update rules over a batch, and their findings as messages."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from loadbay.importing.messages import Finding, error_rows, found
from loadbay.importing.write import ROW


def stripped(column: str) -> pl.Expr:
    return pl.col(column).fill_null("").str.strip_chars()


def optional_value(column: str) -> pl.Expr:
    """The update rule for an optional column the file has: a blank cell clears it."""
    value = stripped(column)
    return pl.when(value == "").then(None).otherwise(value).alias(column)


def findings(frame: pl.DataFrame, checks: Sequence[Finding]) -> pl.DataFrame:
    """Messages of ``checks`` over a writer's frame, by the batch row each row stands for."""
    return found(frame, checks, rows=pl.col(ROW))


def failed_rows(messages: pl.DataFrame) -> pl.Expr:
    """True on the rows of a writer's frame that have an error among ``messages``."""
    return pl.col(ROW).is_in(error_rows(messages).implode())
