"""OneRoster ``orgs.csv`` → organization units (org_units): the org's sourcedId is its id.

An org without ``parentSourcedId`` hangs under Loadbay's ``root``; a parent must be imported
already or come earlier in the file. ``type`` is one of OneRoster's org types.
"""

from __future__ import annotations

import polars as pl

from loadbay.importing.batch import BatchContext, Planned
from loadbay.importing.columns import Column, Required, one_of
from loadbay.importing.messages import Finding, ordered
from loadbay.importing.planning import failed_rows, findings, stripped
from loadbay.importing.registry import SyncRule
from loadbay.importing.tables import ROW
from loadbay.importing.write import TableWrite
from loadbay.models import ROOT_ORGANIZATION, OrgUnit
from loadbay.oneroster.common import head_findings, oneroster_type, optional, to_be_deleted, with_deletions
from loadbay.rostering.common import known_org_ids

ORG_TYPES = ("department", "school", "district", "local", "state", "national")

COLUMNS = (
    Column("name", Required.ALWAYS, "The org's name."),
    Column("type", Required.ALWAYS, "One of " + ", ".join(ORG_TYPES) + ".", checks=(one_of(ORG_TYPES),)),
    Column("identifier", description="A human-readable identifier (a state school number)."),
    Column("parentSourcedId", description="The parent org; blank: directly under root."),
)


def plan_orgs(context: BatchContext, frame: pl.DataFrame) -> Planned:
    """Upsert the batch's orgs under their parents; a delta's tobedeleted rows deactivate theirs."""
    present = context.present
    parents = known_org_ids(context)
    df = frame.with_columns(
        stripped("sourcedId").alias("org_id"),
        (stripped("parentSourcedId") if "parentSourcedId" in present else pl.lit("")).alias("_parent"),
        to_be_deleted(context).alias("_deleted"),
    )
    # A parent defined earlier in this batch counts; one on a later line does not (yet).
    first_seen = df.group_by("org_id").agg(pl.col(ROW).min().alias("_defined"))
    df = df.join(first_seen.rename({"org_id": "_parent"}), on="_parent", how="left", maintain_order="left")
    parent = pl.col("_parent")
    known = (parent == "") | parent.is_in(list(parents)) | (pl.col("_defined") < pl.col(ROW)).fill_null(False)
    checks = [
        Finding(
            "sourcedId",
            "invalid_hierarchy",
            pl.when(pl.col("org_id") == ROOT_ORGANIZATION).then(
                pl.lit(
                    f"'{ROOT_ORGANIZATION}' is Loadbay's own top organization; give the org another sourcedId"
                )
            ),
        ),
        Finding(
            "parentSourcedId",
            "invalid_hierarchy",
            pl.when((parent != "") & (parent == pl.col("org_id"))).then(
                pl.lit("an org cannot be its own parent")
            ),
        ),
        Finding(
            "parentSourcedId",
            "unknown_reference",
            pl.when(~known & (parent != pl.col("org_id"))).then(
                pl.format(
                    "'{}' is not the sourcedId of an org earlier in orgs.csv or already imported", parent
                )
            ),
        ),
    ]
    # A tobedeleted row only names its org: its parent is not needed.
    messages = ordered(head_findings(context, df), findings(df.filter(~pl.col("_deleted")), checks))
    accepted = df.filter(~failed_rows(messages))
    kept = accepted.filter(~pl.col("_deleted"))
    for org_id, parent_id in zip(kept["org_id"], kept["_parent"], strict=True):
        parents[org_id] = parent_id or ROOT_ORGANIZATION
    rows = kept.select(
        ROW,
        "org_id",
        stripped("name").alias("name"),
        stripped("type").alias("org_type"),
        *([optional("identifier").alias("identifier")] if "identifier" in present else []),
        pl.when(parent == "").then(pl.lit(ROOT_ORGANIZATION)).otherwise(parent).alias("parent_org_id"),
        pl.lit(True).alias("active"),
    )
    write = TableWrite(OrgUnit, rows, context.constants()) if rows.height else None
    return with_deletions(
        context,
        model=OrgUnit,
        key="org_id",
        kept=write,
        deleted=accepted.filter(pl.col("_deleted")).select(ROW, "org_id"),
        deactivate=True,
        messages=messages,
    )


ORGS = oneroster_type(
    "orgs",
    description="OneRoster orgs: districts, schools and departments, as organization units.",
    columns=COLUMNS,
    writer=plan_orgs,
    sync=SyncRule(OrgUnit, deactivate=True, noun="organizations", keep=(ROOT_ORGANIZATION,)),
)
