"""Passwords from imported files: policy, argon2id hashing in parallel, pre-hashed passthrough."""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor

import polars as pl
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from loadbay.config import Settings
from loadbay.importing.batch import BatchContext
from loadbay.importing.columns import Check
from loadbay.importing.tables import ROW
from loadbay.models import RosterUser

# A password that is already a modern hash is stored as given (bulk migration from another system).
PREHASHED = (
    r"^(\$argon2id\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}"
    r"|\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53})$"
)
_PREHASHED = re.compile(PREHASHED)
POLICY = (
    "must be at least 8 characters with an upper-case letter, a lower-case letter and a special character"
)


def is_prehashed(value: str) -> bool:
    return bool(_PREHASHED.match(value))


def _policy(value: pl.Expr) -> pl.Expr:
    """Vectorized: null when the value meets the policy or is a pre-hashed password.

    The hash pattern runs only on the values that fail the policy (the others are null to it,
    and polars skips nulls): a hash nearly always meets the policy (both cases and a '$'), and
    the pattern over every character of a hash cost as much as the policy's checks together,
    0.28 s per million rows (docs/engine.md)."""
    meets = (
        (value.str.len_chars() >= 8)
        & value.str.contains(r"[A-Z]")
        & value.str.contains(r"[a-z]")
        & value.str.contains(r"[^A-Za-z0-9]")
    )
    failing = pl.when(~meets).then(value)
    return pl.when(~failing.str.contains(PREHASHED)).then(pl.lit(POLICY))


password_policy = Check("weak_password", _policy)


class PasswordHashing:
    """argon2id across every core: argon2-cffi releases the GIL while it hashes."""

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.password_time_cost,
            memory_cost=settings.password_memory_kib,
            parallelism=1,
        )
        self._workers = max(1, os.cpu_count() or 1)

    def resolve(self, tasks: list[tuple[str, str | None]]) -> list[str | None]:
        """For each (plain text, stored hash): the new hash, or None when the password is unchanged."""
        if not tasks:
            return []
        if len(tasks) == 1:
            return [self._resolve_one(tasks[0])]
        with ThreadPoolExecutor(max_workers=self._workers) as pool:
            return list(pool.map(self._resolve_one, tasks))

    def _resolve_one(self, task: tuple[str, str | None]) -> str | None:
        plain, stored = task
        if stored is not None:
            try:
                if self._hasher.verify(stored, plain):
                    return None
            except (VerificationError, InvalidHashError):
                pass
        return self._hasher.hash(plain)


def password_hashes(context: BatchContext, df: pl.DataFrame, *, key: str) -> pl.Series:
    """Each row's new password hash (``df``: ``_row``, the user's ``key`` column, ``_password``):
    as given when pre-hashed, argon2id of a plain password that differs from the stored one, null
    (keep) when blank or equal to the stored one. Hashing is the only work done row by row."""
    password = pl.col("_password")
    # Matched once: the pattern runs over every character of a hash (0.1 s per million).
    prehashed = df.select(password.str.contains(PREHASHED)).to_series()
    hashes = df.select(pl.when(prehashed).then(password).otherwise(None).alias("password_hash"))[
        "password_hash"
    ]
    plain = df.filter((password != "") & ~prehashed)
    if not plain.height:
        return hashes
    # A TAO user by its username; a OneRoster user by its sourcedId, the table's other key.
    stored = context.lookup(RosterUser, plain.select(ROW, key), ["password_hash"], key=(key,))
    plain = plain.join(stored, on=ROW, how="left", maintain_order="left")
    if "hashing" not in context.cache:
        context.cache["hashing"] = PasswordHashing(context.settings)
    hashing: PasswordHashing = context.cache["hashing"]
    tasks = list(zip(plain["_password"].to_list(), plain["password_hash"].to_list(), strict=True))
    new = pl.DataFrame({ROW: plain[ROW], "new": pl.Series(hashing.resolve(tasks), dtype=pl.Utf8)})
    joined = df.select(ROW).with_columns(hashes).join(new, on=ROW, how="left", maintain_order="left")
    return joined.select(pl.coalesce("new", "password_hash").alias("password_hash"))["password_hash"]
