"""The TAO ``groups`` template: upsert keyed by ``group_name``."""

from __future__ import annotations

import polars as pl

from loadbay.importing.batch import CREATED, FAILED, UPDATED, BatchContext, BatchResult
from loadbay.importing.columns import Column, Required, boolean
from loadbay.importing.planning import (
    FramePlan,
    Planned,
    any_changed,
    batch_constants,
    messages_of,
    optional_value,
    outcome_expr,
    stripped,
)
from loadbay.importing.registry import ImportType, register
from loadbay.importing.writing import fetch_frame
from loadbay.models import RosterGroup
from loadbay.rostering.common import active_value, active_warning, known_org_ids, merge_metadata

METADATA_PREFIX = "group_metadata_"

NAME = Column("group_name", Required.ALWAYS, "The group's name; the key, cannot change.")
DESCRIPTION = Column("group_description", description="Free text.", max_length=4000)
ACTIVE = Column("group_active", description="TRUE or FALSE; blank means TRUE.", checks=(boolean,))
ORGANIZATION = Column("group_organizationId", Required.ALWAYS, "An existing organization unit, or root.")
COLUMNS = (NAME, DESCRIPTION, ACTIVE, ORGANIZATION)

FIELDS = ("description", "active", "organization_id", "metadata_json")


STORED_SCHEMA: dict[str, pl.DataType] = {
    "name": pl.Utf8(),
    "description_stored": pl.Utf8(),
    "active_stored": pl.Boolean(),
    "organization_id_stored": pl.Utf8(),
    "metadata_json_stored": pl.Utf8(),
}
_MESSAGES = ["_m_active", "_m_org"]


def plan_groups(context: BatchContext, frame: pl.DataFrame) -> Planned:
    """Validate the group columns of ``frame`` and plan their upserts, vectorized.

    A group named on several rows (sessions of one new group) is planned from its first row;
    the others count it as it stands after that row.
    """
    present = context.present
    df = frame.with_columns(stripped("group_name").alias("name"))
    stored = fetch_frame(
        context.session,
        key=RosterGroup.name,
        columns=[getattr(RosterGroup, name) for name in FIELDS],
        tenant_id=context.tenant_id,
        keys=df["name"].unique().to_list(),
        schema=STORED_SCHEMA,
    ).with_columns(pl.lit(True).alias("_exists"))
    df = df.join(stored, on="name", how="left", maintain_order="left")
    first = pl.int_range(pl.len()).over("name") == 0
    # A repeat of a group in the batch compares with what its first row makes of it.
    exists = pl.col("_exists").fill_null(False) | ~first
    metadata_columns = [name for name in frame.columns if name.startswith(METADATA_PREFIX)]
    df = df.with_columns(
        optional_value("group_description", "description_stored", present).alias("description"),
        active_value("group_active", "active_stored", pl.col("_exists").fill_null(False), present).alias(
            "active"
        ),
        stripped("group_organizationId").alias("organization_id"),
        active_warning("group_active", present).alias("_m_active"),
    )
    if metadata_columns:
        merged = [
            merge_metadata(old, record, metadata_columns, METADATA_PREFIX)
            for old, record in zip(
                df["metadata_json_stored"].to_list(), df.select(metadata_columns).to_dicts(), strict=True
            )
        ]
        df = df.with_columns(pl.Series("metadata_json", merged, dtype=pl.Utf8))
    else:
        df = df.with_columns(pl.col("metadata_json_stored").alias("metadata_json"))
    df = df.with_columns(
        pl.when(~pl.col("organization_id").is_in(list(known_org_ids(context))))
        .then(
            pl.format(
                "group_organizationId: '{}' is not an existing organization unit; "
                "use root or import the unit first",
                pl.col("organization_id"),
            )
        )
        .alias("_m_org"),
    )
    # Repeats are compared with the first row's values, not with what is stored.
    for name in FIELDS:
        df = df.with_columns(
            pl.when(first)
            .then(pl.col(f"{name}_stored"))
            .otherwise(pl.col(name).first().over("name"))
            .alias(f"{name}_stored")
        )
    df = df.with_columns(
        outcome_expr(exists, any_changed(FIELDS), pl.col("_m_org").is_not_null()).alias("_outcome")
    )
    accepted: set[str] = context.cache.setdefault("groups_in_file", set())
    accepted.update(df.filter(pl.col("_outcome") != FAILED)["name"].to_list())
    rows = df.filter(first & pl.col("_outcome").is_in([CREATED, UPDATED])).select(
        "name",
        "description",
        "active",
        "organization_id",
        pl.col("metadata_json").alias("metadata"),
    )
    return Planned(
        outcomes=df["_outcome"].to_list(),
        messages=messages_of(df, _MESSAGES),
        plan=FramePlan(RosterGroup, ("tenant_id", "name"), frame=rows, constants=batch_constants(context)),
    )


def write_groups(context: BatchContext, frame: pl.DataFrame) -> BatchResult:
    return plan_groups(context, frame).batch_result()


GROUPS = register(
    ImportType(
        name="groups",
        description="Create or update groups of users.",
        columns=COLUMNS,
        key_columns=("group_name",),
        writer=write_groups,
        extra_prefix=METADATA_PREFIX,
    )
)
