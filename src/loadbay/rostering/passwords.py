"""Passwords from imported files: policy, argon2id hashing in parallel, pre-hashed passthrough."""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor

import polars as pl
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from loadbay.config import Settings
from loadbay.importing.columns import Check

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
    """Vectorized: null when the value is a pre-hashed password or meets the policy."""
    meets = (
        (value.str.len_chars() >= 8)
        & value.str.contains(r"[A-Z]")
        & value.str.contains(r"[a-z]")
        & value.str.contains(r"[^A-Za-z0-9]")
    )
    return pl.when(value.str.contains(PREHASHED) | meets).then(None).otherwise(pl.lit(POLICY))


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
