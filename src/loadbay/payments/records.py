"""The writer every payment import type shares: plan a batch against what is stored, upsert it.

Rules (the same for the four types):
- a record is keyed by its id column within the batch's company;
- a blank optional cell clears the stored value; a column left out keeps it;
- a row identical to what is stored is ``unchanged``;
- the type's immutable columns (a transaction's amount, currency, account, type) cannot change
  once imported: such a row fails and the stored record stays as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from loadbay.importing.batch import BatchContext, Planned
from loadbay.importing.bulk import Query
from loadbay.importing.columns import Check, Column, Required
from loadbay.importing.messages import Finding, found
from loadbay.importing.planning import failed_rows, findings, stripped
from loadbay.importing.tables import ROW, literal, quoted
from loadbay.importing.write import TableWrite
from loadbay.models import Base, ImportBatch
from loadbay.payments.cards import shown
from loadbay.payments.money import amount_problem, minor_units, normalized_amount

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


def enum_check(values: tuple[str, ...]) -> Check:
    lowered = [v.lower() for v in values]

    def check(value: pl.Expr) -> pl.Expr:
        return (
            pl.when(value.str.to_lowercase().is_in(lowered))
            .then(None)
            .otherwise(pl.format("{} is not one of {}", shown(value), pl.lit(", ".join(values))))
        )

    return Check("not_allowed", check)


def parse_timestamp(value: pl.Expr) -> pl.Expr:
    """ISO 8601 with a UTC offset or Z, seconds and fractions optional; null when it is not one."""
    text = value.str.replace(" ", "T", literal=True)
    return pl.coalesce(
        text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%#z", strict=False, time_zone="UTC"),
        text.str.to_datetime("%Y-%m-%dT%H:%M%#z", strict=False, time_zone="UTC"),
    )


def _timestamp(value: pl.Expr) -> pl.Expr:
    return (
        pl.when(parse_timestamp(value).is_null())
        .then(pl.lit(f"must be an ISO 8601 date and time with a UTC offset, such as {TIMESTAMP_EXAMPLE}"))
        .otherwise(None)
    )


timestamp_check = Check("invalid_format", _timestamp)


def column(
    name: str,
    description: str,
    *,
    required: bool = False,
    max_length: int = 64,
    checks: tuple[Check, ...] = (),
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
        table = quoted(ImportBatch.__tablename__)
        result = context.bulk.run(
            [
                Query(
                    f"SELECT company_id, project_id FROM {table} "  # noqa: S608
                    f"WHERE import_id = {literal(context.import_id)} "
                    f"AND tenant_id = {literal(context.tenant_id)}"
                )
            ]
        )[0]
        assert result is not None
        rows = result.to_pylist()
        context.cache["batch_scope"] = (
            (str(rows[0]["company_id"]), str(rows[0]["project_id"])) if rows else None
        )
    scope: tuple[str, str] | None = context.cache["batch_scope"]
    return scope


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


def write_records(spec: RecordSpec, context: BatchContext, frame: pl.DataFrame) -> Planned:
    """Plan ``frame`` (rows valid by their columns) against the company's stored records."""
    scope = _batch_scope(context)
    if scope is None:
        text = "this import belongs to no import batch; upload it through POST /api/adm/import/file"
        return Planned(messages=findings(frame, [Finding(None, "no_batch", pl.lit(text))]))
    company_id, project_id = scope
    present = context.present
    attributes = spec.attributes
    key = attributes[spec.key_column]
    df = frame.select(
        ROW,
        *(
            _value(spec, name, attribute).alias(attribute)
            for name, attribute in attributes.items()
            if name in present
        ),
    )
    checks: list[Finding] = []
    if "amount" in attributes.values():
        df = df.hstack(
            frame.select(minor_units(stripped("Amount"), stripped("Currency")).alias("amount_minor"))
        )
        checks.append(
            Finding("Amount", "invalid_value", amount_problem(stripped("Amount"), stripped("Currency")))
        )
    if spec.distinct_accounts:
        checks.append(
            Finding(
                "DestinationAccountId",
                "invalid_value",
                pl.when(stripped("SourceAccountId") == stripped("DestinationAccountId")).then(
                    pl.lit("must differ from SourceAccountId")
                ),
            )
        )
    messages = findings(frame, checks)
    immutable = [attributes[name] for name in spec.immutable]
    stored = context.lookup(
        spec.model, df.select(ROW, key), [a for a in attributes.values() if a != key], scope_value=company_id
    )
    joined = df.join(
        stored.rename({a: f"{a}_stored" for a in stored.columns if a != ROW}),
        on=ROW,
        how="left",
        maintain_order="left",
    )
    exists = pl.col(ROW).is_in(stored[ROW].implode())
    fixed = [
        Finding(
            name,
            "immutable",
            pl.when(exists & pl.col(attribute).ne_missing(pl.col(f"{attribute}_stored"))).then(
                pl.format(
                    "cannot change once imported (stored '{}', this file '{}')",
                    pl.col(f"{attribute}_stored"),
                    pl.col(attribute),
                )
            ),
        )
        for name, attribute in zip(spec.immutable, immutable, strict=True)
        if attribute in joined.columns
    ]
    if fixed:
        more = found(joined, fixed, rows=pl.col(ROW))
        messages = pl.concat([messages, more]).sort("row", maintain_order=True) if more.height else messages
    rows = df.filter(~failed_rows(messages))
    constants = {**context.constants(), "company_id": company_id, "project_id": project_id}
    return Planned(messages=messages, writes=[TableWrite(spec.model, rows, constants)])
