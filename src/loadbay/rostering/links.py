"""The TAO link templates: users into groups with a role.

``link-existing-user-to-groups`` links users that exist; ``link-new-user-to-groups`` creates or
updates the user first (same rules as the ``users`` template) and then links it.
"""

from __future__ import annotations

import polars as pl

from loadbay.importing.batch import BatchContext, Planned
from loadbay.importing.columns import Column, Required, one_of
from loadbay.importing.messages import Finding, ordered
from loadbay.importing.planning import failed_rows, findings, stripped
from loadbay.importing.registry import ImportType, SyncRule, register
from loadbay.importing.tables import ROW
from loadbay.importing.write import CREATED, FAILED, UNCHANGED, UPDATED, TableWrite
from loadbay.models import GroupMembership, RosterUser
from loadbay.rostering import users
from loadbay.rostering.common import known_group_names
from loadbay.rostering.link_users import plan_link_users

GROUP_ROLES = ("TEST_TAKER", "GRADER", "BOOKLET_PUBLISHER", "SCAN_UPLOADER")

GROUP_NAME = Column("group_name", Required.ALWAYS, "An existing group.")
GROUP_ROLE = Column(
    "group_role", Required.ALWAYS, "One of " + ", ".join(GROUP_ROLES) + ".", checks=(one_of(GROUP_ROLES),)
)
LINK_KEY = ("user_username", "group_name", "group_role")
# mode=sync removes the links a full file leaves out (the users stay).
LINK_SYNC = SyncRule(GroupMembership, deactivate=False, noun="group memberships")


def _links(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        stripped("user_username").alias("username"),
        stripped("group_name").alias("group"),
        stripped("group_role").alias("role"),
    )


def _unknown_group(context: BatchContext, df: pl.DataFrame) -> Finding:
    known = list(known_group_names(context, df["group"]))
    return Finding(
        "group_name",
        "unknown_reference",
        pl.when(~pl.col("group").is_in(known)).then(
            pl.format("'{}' is not an existing group; import it first", pl.col("group"))
        ),
    )


def _link_write(context: BatchContext, df: pl.DataFrame, *, decides_outcome: bool) -> TableWrite:
    rows = df.select(ROW, "username", pl.col("group").alias("group_name"), "role")
    return TableWrite(
        GroupMembership, rows, context.constants(), keep_existing=True, decides_outcome=decides_outcome
    )


def write_existing_user_links(context: BatchContext, frame: pl.DataFrame) -> Planned:
    df = _links(frame)
    names = (
        df.select(pl.col("username").unique()).with_row_index(ROW).with_columns(pl.col(ROW).cast(pl.Int64))
    )
    found_users = context.lookup(RosterUser, names, ["username"])["username"].to_list()
    unknown_user = Finding(
        "user_username",
        "unknown_reference",
        pl.when(~pl.col("username").is_in(found_users)).then(
            pl.format("'{}' is not an existing user; import it first", pl.col("username"))
        ),
    )
    messages = findings(df, [unknown_user, _unknown_group(context, df)])
    ok = df.filter(~failed_rows(messages))
    return Planned(messages=messages, writes=[_link_write(context, ok, decides_outcome=True)])


def write_new_user_links(context: BatchContext, frame: pl.DataFrame) -> Planned:
    """Create or update each user, then link it.

    A user named on several rows (linked to several groups) takes them in file order: see
    loadbay.rostering.link_users. A row is created with its user; otherwise a new link or a
    change to its user updates it.
    """
    df = _links(frame)
    group_messages = findings(df, [_unknown_group(context, df)])
    with_group = df.filter(~failed_rows(group_messages))
    planned = plan_link_users(context, with_group)
    messages = ordered(group_messages, planned.messages)
    ok = with_group.filter(~failed_rows(messages))
    link_write = _link_write(context, ok, decides_outcome=False)

    def combine(outcomes: list[pl.DataFrame]) -> pl.DataFrame:
        # The user write's own outcome (its last row against the database) is not the rows'.
        _user_write, link_outcome = outcomes
        by_row = (
            with_group.select(ROW)
            .join(planned.outcomes.rename({"outcome": "user"}), on=ROW, how="left", maintain_order="left")
            .join(link_outcome.rename({"outcome": "link"}), on=ROW, how="left", maintain_order="left")
        )
        outcome = (
            pl.when(pl.col("user").is_null() | pl.col("link").is_null())
            .then(pl.lit(FAILED))
            .when(pl.col("user") != UNCHANGED)
            .then(pl.col("user"))
            .when(pl.col("link") == CREATED)
            .then(pl.lit(UPDATED))
            .otherwise(pl.lit(UNCHANGED))
        )
        return by_row.select(ROW, outcome.alias("outcome"))

    return Planned(messages=messages, writes=[planned.write, link_write], combine=combine)


LINK_EXISTING = register(
    ImportType(
        name="link-existing-user-to-groups",
        description="Give existing users a role in existing groups.",
        columns=(users.USERNAME, GROUP_NAME, GROUP_ROLE),
        key_columns=LINK_KEY,
        sync=LINK_SYNC,
        writer=write_existing_user_links,
    )
)

LINK_NEW = register(
    ImportType(
        name="link-new-user-to-groups",
        description="Create or update users and give them a role in existing groups.",
        columns=(
            users.USERNAME,
            users.NAME,
            users.PASSWORD,
            users.EMAIL_COLUMN,
            users.LANGUAGE,
            users.ACTIVE,
            GROUP_ROLE,
            GROUP_NAME,
            users.ORGANIZATION,
        ),
        key_columns=LINK_KEY,
        sync=LINK_SYNC,
        writer=write_new_user_links,
    )
)
