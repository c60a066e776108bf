"""Planning a batch against what is stored, with polars: the update rules as expressions.

A writer joins the batch with the stored rows, computes each row's outcome
(created / updated / unchanged / failed) and the rows to upsert, and hands the upserts to
the pipeline as a plan applied in a short write transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from loadbay.importing.batch import CREATED, FAILED, UNCHANGED, UPDATED, BatchContext, BatchResult
from loadbay.importing.writing import upsert, upsert_frame
from loadbay.models import Base, utcnow


@dataclass
class UpsertPlan:
    """Rows to upsert into one table for one batch; the last row for a key wins."""

    model: type[Base]
    keys: tuple[str, ...]
    keep_on_update: tuple[str, ...] = ("created_at",)
    rows: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)

    def add(self, row: dict[str, Any]) -> None:
        self.rows[tuple(row[k] for k in self.keys)] = row

    def apply(self, session: Session) -> None:
        upsert(
            session,
            model=self.model,
            rows=list(self.rows.values()),
            keys=self.keys,
            keep_on_update=self.keep_on_update,
        )


@dataclass
class FramePlan:
    """Rows to upsert into one table for one batch: a frame of table columns plus the
    ``constants`` every row shares (see batch_constants)."""

    model: type[Base]
    keys: tuple[str, ...]
    frame: pl.DataFrame
    constants: dict[str, Any]
    keep_on_update: tuple[str, ...] = ("created_at",)

    def apply(self, session: Session) -> None:
        upsert_frame(
            session,
            model=self.model,
            frame=self.frame,
            keys=self.keys,
            constants=self.constants,
            keep_on_update=self.keep_on_update,
        )


@dataclass
class Planned:
    """A batch planned against what is stored: per-row outcome and messages, and the upserts."""

    outcomes: list[str]
    messages: list[list[str]]
    plan: FramePlan

    def batch_result(self) -> BatchResult:
        return BatchResult(outcomes=self.outcomes, messages=self.messages, apply=self.plan.apply)


def batch_constants(context: BatchContext) -> dict[str, Any]:
    """The columns every row written by one batch shares."""
    now = utcnow()
    return {
        "tenant_id": context.tenant_id,
        "last_import_id": context.import_id,
        "created_at": now,
        "updated_at": now,
    }


def stripped(column: str) -> pl.Expr:
    return pl.col(column).fill_null("").str.strip_chars()


def optional_value(column: str, stored: str, present: frozenset[str]) -> pl.Expr:
    """The update rule for an optional column: a blank cell clears, a column left out keeps."""
    if column not in present:
        return pl.col(stored)
    value = stripped(column)
    return pl.when(value == "").then(None).otherwise(value)


def outcome_expr(exists: pl.Expr, changed: pl.Expr, failed: pl.Expr) -> pl.Expr:
    return (
        pl.when(failed)
        .then(pl.lit(FAILED))
        .when(~exists)
        .then(pl.lit(CREATED))
        .when(changed)
        .then(pl.lit(UPDATED))
        .otherwise(pl.lit(UNCHANGED))
    )


def any_changed(fields: Iterable[str], *, stored_suffix: str = "_stored") -> pl.Expr:
    """Null-aware: a value that became null, or stopped being null, is a change."""
    return pl.any_horizontal(pl.col(name).ne_missing(pl.col(name + stored_suffix)) for name in fields)


def messages_of(frame: pl.DataFrame, columns: list[str]) -> list[list[str]]:
    """The non-null message columns of each row, as lists (most are empty)."""
    if not columns:
        return [[] for _ in range(frame.height)]
    return frame.select(pl.concat_list(columns).list.drop_nulls().alias("m"))["m"].to_list()


def apply_plans(*plans: UpsertPlan | FramePlan) -> Callable[[Session], None]:
    """One apply for several tables, in order (a group before the session that names it)."""

    def apply(session: Session) -> None:
        for plan in plans:
            plan.apply(session)

    return apply
