"""The users of a ``link-new-user-to-groups`` file, which names a user on as many rows as the user
has groups: the rows apply to the user one after the other, in file order, as if each line were
imported on its own.

- A new user is created by its first row that passes its checks and has what a new user needs
  (``user_password``, ``user_organizationId``); its rows before that one fail with
  ``required_on_create``. Every later row updates the user: its cells replace what the rows
  above left (a blank password keeps the one set before).
- A row's user outcome is ``created`` on the row that creates the user; on any other row,
  ``updated`` when the row changes the user as the rows above left it, else ``unchanged``.

What the rows above left comes first from the batches of this file planned before (kept in
``context.cache``: batches are planned ahead of the writes of the ones before, and a dry run
writes nothing), then from the database. So the outcome is the same whatever the batch size,
in a dry run as in a real one. A user is written once per batch, with what its last row leaves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from loadbay.importing.batch import BatchContext
from loadbay.importing.messages import Finding, found, ordered
from loadbay.importing.planning import failed_rows
from loadbay.importing.tables import ROW
from loadbay.importing.write import CREATED, UNCHANGED, UPDATED, TableWrite
from loadbay.models import RosterUser
from loadbay.rostering import users
from loadbay.rostering.passwords import PasswordHashing, is_prehashed

_SEED = 0x4C696E6B
# Per user this import has written (or, in a dry run, would have): a digest of its plain
# columns, and of the password cell that last set its password (null: none did).
_CACHE = "link_users"
_KNOWN_SCHEMA = pl.Schema({"username": pl.Utf8(), "state": pl.UInt64(), "password": pl.UInt64()})


@dataclass(frozen=True)
class PlannedUsers:
    # By ``row`` (the batch row), as a writer's messages are.
    messages: pl.DataFrame
    # ``_row`` and ``outcome`` (created, updated, unchanged) of every row whose user passed.
    outcomes: pl.DataFrame
    write: TableWrite


def plan_link_users(context: BatchContext, frame: pl.DataFrame) -> PlannedUsers:
    """The user part of the rows of ``frame`` (their groups are known), in file order."""
    present = context.present
    df, messages = users.checked_users(context, frame.sort(ROW))
    # The stored columns a row's plain cells set.
    values_set = users.user_values(present)
    df = df.filter(~failed_rows(messages)).with_columns(*values_set)
    values = [value.meta.output_name() for value in values_set]
    # Without the column, active is set when a user is created, never compared or changed.
    compared = [name for name in values if name != "active" or "user_active" in present]
    df = df.with_columns(
        _digest(compared).alias("_state"),
        pl.when(pl.col("_password") != "").then(pl.col("_password").hash(_SEED)).alias("_pw"),
    ).join(_before(context, df, compared), on="username", how="left", maintain_order="left")

    # Whether the user exists when the row comes: before the file or made by a row above.
    can_create = (pl.col("_password") != "") & pl.lit("user_organizationId" in present)
    made_above = (can_create.cast(pl.UInt32).cum_sum().over("username") - can_create.cast(pl.UInt32)) > 0
    df = df.with_columns((pl.col("_exists") | made_above).alias("_exists"), can_create.alias("_can_create"))
    lacking = df.filter(~pl.col("_exists") & ~pl.col("_can_create"))
    text = pl.lit("is required when the user is created")
    messages = ordered(
        messages,
        found(
            lacking,
            [
                Finding(column, "required_on_create", pl.when(where).then(text))
                for column, where in users.create_lacks(present).items()
            ],
            rows=pl.col(ROW),
        ),
    )
    rows = df.filter(pl.col("_exists") | pl.col("_can_create")).with_columns(
        # The user as the rows above (in this batch, else before it) left it.
        pl.col("_state").shift(1).over("username").fill_null(pl.col("_prior_state")).alias("_was"),
        pl.col("_pw")
        .shift(1)
        .forward_fill()
        .over("username")
        .fill_null(pl.col("_prior_pw"))
        .alias("_pw_was"),
    )
    hashes, password_changed = _passwords(context, rows)
    rows = rows.join(password_changed, on=ROW, how="left", maintain_order="left")
    changed = pl.col("_state").ne_missing(pl.col("_was")) | pl.col("_pw_changed").fill_null(False)
    outcomes = rows.select(
        ROW,
        pl.when(~pl.col("_exists"))
        .then(pl.lit(CREATED))
        .when(changed)
        .then(pl.lit(UPDATED))
        .otherwise(pl.lit(UNCHANGED))
        .alias("outcome"),
    )

    last = rows.filter(pl.col("username").is_last_distinct())
    written = last.select(ROW, "username", *values)
    if "user_password" in present:
        written = written.join(hashes, on="username", how="left", maintain_order="left")
    _remember(context, rows)
    return PlannedUsers(
        messages=messages,
        outcomes=outcomes,
        write=users.user_write(context, written, decides_outcome=False),
    )


def _digest(columns: list[str]) -> pl.Expr:
    if not columns:
        return pl.lit(0, dtype=pl.UInt64)
    return pl.struct(columns).hash(_SEED)


def _known(context: BatchContext) -> pl.DataFrame:
    known: pl.DataFrame = context.cache.get(_CACHE, pl.DataFrame(schema=_KNOWN_SCHEMA))
    return known


def _before(context: BatchContext, df: pl.DataFrame, compared: list[str]) -> pl.DataFrame:
    """Per username of ``df``: whether the user exists before this batch, the digest of what it
    holds (``_prior_state``), the digest of the password this import set (``_prior_pw``) and the
    stored hash (``_stored_hash``, for a password this import has not set)."""
    names = df.select(pl.col("username").unique(maintain_order=True))
    keys = names.with_row_index(ROW).with_columns(pl.col(ROW).cast(pl.Int64))
    stored = context.lookup(RosterUser, keys, [*compared, "password_hash"])
    # Typed as the rows' values, so that the same user hashes to the same digest.
    stored = (
        keys.join(stored, on=ROW, how="inner")
        .cast(df.select(compared).schema)
        .select(
            "username",
            _digest(compared).alias("_stored_state"),
            pl.col("password_hash").alias("_stored_hash"),
        )
    )
    known = _known(context).rename({"state": "_known_state", "password": "_prior_pw"})
    return (
        names.join(stored, on="username", how="left")
        .join(known, on="username", how="left")
        .select(
            "username",
            (pl.col("_known_state").is_not_null() | pl.col("_stored_state").is_not_null()).alias("_exists"),
            pl.coalesce("_known_state", "_stored_state").alias("_prior_state"),
            "_prior_pw",
            "_stored_hash",
        )
    )


def _passwords(context: BatchContext, rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per user, the hash to write (null: keep the stored one); per row with a password whose
    user exists already, whether it changes the password the rows above left (``_pw_changed``).

    A password is compared by digest with one set earlier in this import, else with the stored
    hash (argon2 verify; equality for a pre-hashed cell). A plain password is hashed at most
    once per user and batch, and not at all when it is the stored one."""
    records = list(
        rows.filter(pl.col("_pw").is_not_null())
        .select(ROW, "username", "_password", "_pw", "_pw_was", "_exists", "_prior_pw", "_stored_hash")
        .iter_rows(named=True)
    )
    # Each (plain password, stored hash or None) → its new hash, or None when it is the stored one.
    tasks: dict[tuple[str, str | None], str | None] = {}
    last: dict[str, dict[str, Any]] = {}
    for record in records:
        plain, stored = record["_password"], record["_stored_hash"]
        if record["_exists"] and record["_pw_was"] is None and stored is not None and not is_prehashed(plain):
            tasks[(plain, stored)] = None
        last[record["username"]] = record
    for record in last.values():
        plain, prior = record["_password"], record["_prior_pw"]
        if not is_prehashed(plain) and (prior is None or prior != record["_pw"]):
            tasks[(plain, None if prior is not None else record["_stored_hash"])] = None
    if tasks:
        if "hashing" not in context.cache:
            context.cache["hashing"] = PasswordHashing(context.settings)
        hashing: PasswordHashing = context.cache["hashing"]
        tasks = dict(zip(tasks, hashing.resolve(list(tasks)), strict=True))

    changed: list[tuple[int, bool | None]] = []
    for record in records:
        plain, stored = record["_password"], record["_stored_hash"]
        if not record["_exists"]:
            differs = None  # it creates the user
        elif record["_pw_was"] is not None:
            differs = record["_pw"] != record["_pw_was"]
        elif stored is None:
            differs = True
        else:
            differs = plain != stored if is_prehashed(plain) else tasks[(plain, stored)] is not None
        changed.append((record[ROW], differs))
    hashes: list[tuple[str, str | None]] = []
    for user, record in last.items():
        plain, prior = str(record["_password"]), record["_prior_pw"]
        if is_prehashed(plain):
            hashes.append((user, plain))
        elif prior is not None:
            # Set earlier in this import: by the time this batch writes, that is what is stored.
            hashes.append((user, None if prior == record["_pw"] else tasks[(plain, None)]))
        else:
            hashes.append((user, tasks[(plain, record["_stored_hash"])]))
    return (
        pl.DataFrame(hashes, schema={"username": pl.Utf8, "password_hash": pl.Utf8}, orient="row"),
        pl.DataFrame(changed, schema={ROW: pl.Int64, "_pw_changed": pl.Boolean}, orient="row"),
    )


def _remember(context: BatchContext, rows: pl.DataFrame) -> None:
    """What this batch leaves each of its users as, for the batches after it."""
    if not rows.height:
        return
    left = rows.group_by("username", maintain_order=True).agg(
        pl.col("_state").last().alias("state"),
        pl.col("_pw").drop_nulls().last().alias("_set"),
        pl.col("_prior_pw").first().alias("_prior"),
    )
    left = left.select("username", "state", pl.coalesce("_set", "_prior").alias("password"))
    known = _known(context)
    context.cache[_CACHE] = pl.concat(
        [known.filter(~pl.col("username").is_in(left["username"].implode())), left.cast(_KNOWN_SCHEMA)]
    )
