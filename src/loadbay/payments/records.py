"""The writer every payment import type shares: plan a batch against what is stored, upsert it.

Rules (the same for the four types):
- a record is keyed by its id column within the batch's company;
- a blank optional cell clears the stored value; a column left out keeps it;
- a row identical to what is stored is ``unchanged``;
- the type's immutable columns (a transaction's amount, currency, account, type) cannot change
  once imported: such a row fails and the stored record stays as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from loadbay.importing.batch import CREATED, FAILED, UPDATED, BatchContext, BatchResult
from loadbay.importing.columns import Column, Required
from loadbay.importing.planning import (
    FramePlan,
    any_changed,
    batch_constants,
    messages_of,
    outcome_expr,
    stripped,
)
from loadbay.models import Base, ImportBatch
from loadbay.payments.cards import shown
from loadbay.payments.money import amount_problem, minor_units, normalized_amount

# Below SQLite's bound-parameter limit, large enough to keep round trips few.
_IN_CHUNK = 5000
_STORED_TIME = "%Y-%m-%d %H:%M:%S.%f"
TIMESTAMP_EXAMPLE = "2026-11-24T10:00:00Z or 2026-11-24T11:00:00+01:00"


@dataclass(frozen=True)
class RecordSpec:
    """How one import type's columns land in its table."""

    model: type[Base]
    # CSV column → table column, the key first.
    attributes: dict[str, str]
    # CSV column → its allowed values, in their canonical spelling (matched in any casing).
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    immutable: tuple[str, ...] = ()
    # Transfers: the source and destination accounts must differ.
    distinct_accounts: bool = False

    @property
    def key_column(self) -> str:
        return next(iter(self.attributes))


# -- column checks --------------------------------------------------------------------


def enum_check(values: tuple[str, ...]) -> Any:
    lowered = [v.lower() for v in values]

    def check(value: pl.Expr) -> pl.Expr:
        return (
            pl.when(value.str.to_lowercase().is_in(lowered))
            .then(None)
            .otherwise(pl.format("{} is not one of {}", shown(value), pl.lit(", ".join(values))))
        )

    return check


def parse_timestamp(value: pl.Expr) -> pl.Expr:
    """ISO 8601 with a UTC offset or Z, seconds and fractions optional; null when it is not one."""
    text = value.str.replace(" ", "T", literal=True)
    return pl.coalesce(
        text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%#z", strict=False, time_zone="UTC"),
        text.str.to_datetime("%Y-%m-%dT%H:%M%#z", strict=False, time_zone="UTC"),
    )


def timestamp_check(value: pl.Expr) -> pl.Expr:
    return (
        pl.when(parse_timestamp(value).is_null())
        .then(pl.lit(f"must be an ISO 8601 date and time with a UTC offset, such as {TIMESTAMP_EXAMPLE}"))
        .otherwise(None)
    )


def column(
    name: str, description: str, *, required: bool = False, max_length: int = 64, checks: tuple[Any, ...] = ()
) -> Column:
    return Column(
        name,
        Required.ALWAYS if required else Required.NO,
        description,
        max_length=max_length,
        checks=checks,
    )


# -- the writer -----------------------------------------------------------------------


def _batch_scope(context: BatchContext) -> tuple[str, str] | None:
    """(company id, project id) of the import batch this import belongs to."""
    if "batch_scope" not in context.cache:
        row = context.session.execute(
            select(ImportBatch.company_id, ImportBatch.project_id).where(
                ImportBatch.import_id == context.import_id, ImportBatch.tenant_id == context.tenant_id
            )
        ).first()
        context.cache["batch_scope"] = (row[0], row[1]) if row else None
    scope: tuple[str, str] | None = context.cache["batch_scope"]
    return scope


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime(_STORED_TIME)
    return str(value)


def fetch_stored(session: Session, *, spec: RecordSpec, company_id: str, keys: Sequence[str]) -> pl.DataFrame:
    """The company's stored records for ``keys``: the key, then each attribute as text, ``_stored``."""
    attributes = list(spec.attributes.values())
    model = spec.model
    key = getattr(model, attributes[0])
    rows: list[list[str | None]] = []
    unique = list(dict.fromkeys(k for k in keys if k))
    for start in range(0, len(unique), _IN_CHUNK):
        statement = select(
            *(getattr(model, a) for a in attributes)
        ).where(
            model.company_id == company_id,  # type: ignore[attr-defined]
            key.in_(unique[start : start + _IN_CHUNK]),
        )
        rows.extend([_as_text(v) for v in row] for row in session.execute(statement))
    schema = {name if i == 0 else f"{name}_stored": pl.Utf8 for i, name in enumerate(attributes)}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _value(spec: RecordSpec, column_name: str, attribute: str) -> pl.Expr:
    value = stripped(column_name)
    if column_name in spec.enums:
        canonical = {v.lower(): v for v in spec.enums[column_name]}
        return value.str.to_lowercase().replace_strict(canonical, default=None, return_dtype=pl.Utf8)
    if attribute == "currency":
        return value.str.to_uppercase()
    if attribute == "amount":
        return normalized_amount(value, stripped("Currency"))
    if attribute == "occurred_at":
        return parse_timestamp(value).dt.replace_time_zone(None).dt.strftime("%Y-%m-%d %H:%M:%S%.6f")
    return pl.when(value == "").then(None).otherwise(value)


def write_records(spec: RecordSpec, context: BatchContext, frame: pl.DataFrame) -> BatchResult:
    """Plan ``frame`` (rows valid by their columns) against the company's stored records."""
    scope = _batch_scope(context)
    if scope is None:
        message = "this import belongs to no import batch; upload it through POST /api/adm/import/file"
        return BatchResult(outcomes=[FAILED] * frame.height, messages=[[message]] * frame.height)
    company_id, project_id = scope
    present = context.present
    attributes = spec.attributes
    key = attributes[spec.key_column]
    df = frame.select(
        *(
            _value(spec, name, attribute).alias(attribute)
            for name, attribute in attributes.items()
            if name in present
        )
    )
    checks: list[pl.Expr] = []
    if "amount" in attributes.values():
        extra = frame.select(
            amount_problem(stripped("Amount"), stripped("Currency")).alias("_m_amount"),
            minor_units(stripped("Amount"), stripped("Currency")).alias("amount_minor"),
        )
        df = df.hstack(extra)
        checks.append(pl.col("_m_amount"))
    if spec.distinct_accounts:
        df = df.with_columns(
            pl.when(pl.col("source_account_id") == pl.col("destination_account_id"))
            .then(pl.lit("DestinationAccountId: must differ from SourceAccountId"))
            .otherwise(None)
            .alias("_m_accounts")
        )
        checks.append(pl.col("_m_accounts"))
    stored = fetch_stored(
        context.session, spec=spec, company_id=company_id, keys=df[key].to_list()
    ).with_columns(pl.lit(True).alias("_exists"))
    df = df.join(stored, on=key, how="left", maintain_order="left")
    exists = pl.col("_exists").fill_null(False)
    # A column left out of the file keeps what is stored.
    df = df.with_columns(
        pl.col(f"{attribute}_stored").alias(attribute)
        for name, attribute in attributes.items()
        if name not in present
    )
    for name in spec.immutable:
        attribute = attributes[name]
        df = df.with_columns(
            pl.when(exists & pl.col(attribute).ne_missing(pl.col(f"{attribute}_stored")))
            .then(
                pl.format(
                    "{}: cannot change once imported (stored '{}', this file '{}')",
                    pl.lit(name),
                    pl.col(f"{attribute}_stored"),
                    pl.col(attribute),
                )
            )
            .otherwise(None)
            .alias(f"_m_fixed_{attribute}")
        )
        checks.append(pl.col(f"_m_fixed_{attribute}"))
    message_columns = [c for c in df.columns if c.startswith("_m_")]
    failed = pl.any_horizontal(c.is_not_null() for c in checks) if checks else pl.lit(False)
    fields = [a for a in attributes.values() if a != key]
    df = df.with_columns(outcome_expr(exists, any_changed(fields), failed).alias("_outcome"))
    table_columns = list(attributes.values()) + (["amount_minor"] if "amount_minor" in df.columns else [])
    rows = df.filter(pl.col("_outcome").is_in([CREATED, UPDATED])).select(table_columns)
    constants = {**batch_constants(context), "company_id": company_id, "project_id": project_id}
    plan = FramePlan(spec.model, ("company_id", key), frame=rows, constants=constants)
    return BatchResult(
        outcomes=df["_outcome"].to_list(), messages=messages_of(df, message_columns), apply=plan.apply
    )
