"""The TAO ``groups`` template: upsert keyed by ``group_name``."""

from __future__ import annotations

import polars as pl

from loadbay.importing.batch import BatchContext, Planned
from loadbay.importing.columns import Column, Required, boolean
from loadbay.importing.messages import Finding
from loadbay.importing.planning import failed_rows, findings, optional_value, required_on_create, stripped
from loadbay.importing.registry import ImportType, SyncRule, register
from loadbay.importing.tables import ROW
from loadbay.importing.write import TableWrite
from loadbay.models import RosterGroup
from loadbay.rostering.common import active_value, active_warning, merged_metadata, unknown_org

METADATA_PREFIX = "group_metadata_"

NAME = Column("group_name", Required.ALWAYS, "The group's name; the key, cannot change.")
DESCRIPTION = Column("group_description", description="Free text.", max_length=4000)
ACTIVE = Column("group_active", description="TRUE or FALSE; blank means TRUE.", checks=(boolean,))
ORGANIZATION = Column(
    "group_organizationId", Required.ON_CREATE, "An existing organization unit, or root. Left out: kept."
)
COLUMNS = (NAME, DESCRIPTION, ACTIVE, ORGANIZATION)


def plan_groups(
    context: BatchContext, frame: pl.DataFrame, *, decides_outcome: bool = True, referenced: bool = False
) -> Planned:
    """Check the group columns of ``frame`` and plan their upserts, vectorized.

    A group named on several rows (the sessions of one new group) is written from its first row.
    ``referenced``: later rows of the file may name these groups (a sessions file's links), so
    their names are kept for ``known_group_names``, which a dry run, writing nothing, relies on.
    """
    present = context.present
    checks: list[Finding] = []
    if "group_organizationId" in present:
        checks.append(unknown_org("group_organizationId", context))
    if "group_active" in present:
        checks.insert(0, active_warning("group_active"))
    named = frame.with_columns(stripped("group_name").alias("name"))
    messages = findings(named, checks)
    if "group_organizationId" not in present:
        # A partial update: the stored groups keep their organization; a new one needs it.
        lacks = {"group_organizationId": pl.lit(True)}
        messages = required_on_create(
            context, named, messages, model=RosterGroup, key="name", lacks=lacks, noun="group"
        )
    df = named.filter(~failed_rows(messages))
    if referenced:
        # Only then: a million names kept as a Python set cost 100 MB and a second per import.
        context.cache.setdefault("groups_in_file", set()).update(df["name"].to_list())
    first = df.filter(pl.col("name").is_first_distinct())
    values: list[pl.Expr] = [pl.col(ROW), pl.col("name")]
    if "group_organizationId" in present:
        values.append(stripped("group_organizationId").alias("organization_id"))
    if "group_description" in present:
        values.append(optional_value("group_description").alias("description"))
    # A file without the column creates active groups and leaves the stored ones as they are.
    values.append(
        active_value("group_active").alias("active")
        if "group_active" in present
        else pl.lit(True).alias("active")
    )
    rows = first.select(values)
    if any(name.startswith(METADATA_PREFIX) for name in frame.columns):
        rows = rows.with_columns(
            merged_metadata(context, first, model=RosterGroup, key="name", prefix=METADATA_PREFIX)
        )
    write = TableWrite(
        RosterGroup,
        rows,
        context.constants(),
        insert_only=() if "group_active" in present or context.full_list_of(RosterGroup) else ("active",),
        decides_outcome=decides_outcome,
    )
    return Planned(messages=messages, writes=[write])


def write_groups(context: BatchContext, frame: pl.DataFrame) -> Planned:
    return plan_groups(context, frame)


GROUPS = register(
    ImportType(
        name="groups",
        description="Create or update groups of users.",
        columns=COLUMNS,
        key_columns=("group_name",),
        sync=SyncRule(RosterGroup, deactivate=True, noun="groups"),
        writer=write_groups,
        extra_prefix=METADATA_PREFIX,
    )
)
