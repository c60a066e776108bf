"""Expressions the writers share: TAO's update rules over a batch, and their findings as messages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import polars as pl

from loadbay.importing.messages import Finding, error_rows, found, ordered
from loadbay.importing.tables import ROW

if TYPE_CHECKING:
    from loadbay.importing.batch import BatchContext
    from loadbay.models import Base


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


def required_on_create(
    context: BatchContext,
    frame: pl.DataFrame,
    messages: pl.DataFrame,
    *,
    model: type[Base],
    key: str,
    lacks: Mapping[str, pl.Expr],
    noun: str,
) -> pl.DataFrame:
    """``messages`` and an error on each row of ``frame`` (not failed yet) that would create a
    record (no stored row has its ``key``) and lacks a value a new record needs. ``lacks``: per
    such column, where a row lacks it (the file leaves the column out, or a blank that keeps).
    A row that updates keeps the stored value, so only the rows that lack something are looked up."""
    candidates = frame.filter(~failed_rows(messages) & pl.any_horizontal(list(lacks.values())))
    if not candidates.height:
        return messages
    stored = context.lookup(model, candidates.select(ROW, key), [])
    new = candidates.filter(~pl.col(ROW).is_in(stored[ROW].implode()))
    text = pl.lit(f"is required when the {noun} is created")
    checks = [
        Finding(column, "required_on_create", pl.when(where).then(text)) for column, where in lacks.items()
    ]
    return ordered(messages, found(new, checks, rows=pl.col(ROW)))
