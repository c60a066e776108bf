from __future__ import annotations

import polars as pl
import pytest
from argon2 import PasswordHasher

from loadbay.config import Settings
from loadbay.rostering.passwords import POLICY, PasswordHashing, is_prehashed, password_policy

BCRYPT = "$2b$12$" + "R9h/cIPz0gi.URNNX3kh2O" + "PST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"


@pytest.fixture(scope="module")
def hashing() -> PasswordHashing:
    # Cheap argon2 parameters; the algorithm and the code path are the same as in production.
    return PasswordHashing(Settings(password_time_cost=1, password_memory_kib=1024))


@pytest.fixture(scope="module")
def stored() -> str:
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("Current!pass1")


def test_real_argon2id_hash_is_prehashed(stored: str) -> None:
    assert stored.startswith("$argon2id$")
    assert is_prehashed(stored)


@pytest.mark.parametrize("prefix", ["$2a$", "$2b$", "$2y$"])
def test_bcrypt_shaped_hash_is_prehashed(prefix: str) -> None:
    assert is_prehashed(prefix + BCRYPT[4:])


@pytest.mark.parametrize(
    "value",
    [
        "Current!pass1",
        "$2b$12$tooshort",
        BCRYPT + "x",
        "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
        "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ",
        " " + BCRYPT,
    ],
)
def test_other_values_are_not_prehashed(value: str) -> None:
    assert not is_prehashed(value)


def test_password_policy_over_a_series(stored: str) -> None:
    frame = pl.DataFrame(
        {
            "password": [
                "Good!pass",
                "Sh0rt!A",
                "nouppercase!",
                "NOLOWERCASE!",
                "NoSpecial123",
                stored,
                BCRYPT,
                # A hash that fails the policy itself (no upper-case letter) is still taken as given.
                "$2b$12$" + "a" * 53,
            ]
        }
    )
    result = frame.select(password_policy(pl.col("password"))).to_series().to_list()
    assert result == [None, POLICY, POLICY, POLICY, POLICY, None, None, None]


def test_policy_message_says_what_to_fix() -> None:
    assert "8 characters" in POLICY
    assert "upper-case" in POLICY
    assert "lower-case" in POLICY
    assert "special character" in POLICY


def test_resolve_nothing() -> None:
    assert PasswordHashing(Settings(password_time_cost=1, password_memory_kib=1024)).resolve([]) == []


def test_resolve_keeps_a_matching_stored_hash(hashing: PasswordHashing, stored: str) -> None:
    assert hashing.resolve([("Current!pass1", stored)]) == [None]


def test_resolve_hashes_a_changed_password(hashing: PasswordHashing, stored: str) -> None:
    [new] = hashing.resolve([("Changed!pass2", stored)])
    assert new is not None
    assert new.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert PasswordHasher().verify(new, "Changed!pass2")


@pytest.mark.parametrize("previous", [None, "not-a-hash", BCRYPT], ids=["none", "garbage", "bcrypt"])
def test_resolve_hashes_when_nothing_usable_is_stored(hashing: PasswordHashing, previous: str | None) -> None:
    [new] = hashing.resolve([("First!pass1", previous)])
    assert new is not None
    assert PasswordHasher().verify(new, "First!pass1")


def test_resolve_many_in_parallel_keeps_the_order(hashing: PasswordHashing, stored: str) -> None:
    tasks: list[tuple[str, str | None]] = [
        ("Current!pass1", stored),
        ("Changed!pass2", stored),
        ("New!pass3", None),
        ("Current!pass1", stored),
        ("New!pass5", None),
    ]
    results = hashing.resolve(tasks)
    assert len(results) == len(tasks)
    assert results[0] is None
    assert results[3] is None
    for (plain, _stored), new in zip(tasks, results, strict=True):
        if new is not None:
            assert PasswordHasher().verify(new, plain)
    assert all(new is not None for new in (results[1], results[2], results[4]))


def test_resolve_salts_each_hash(hashing: PasswordHashing) -> None:
    first, second = hashing.resolve([("Same!pass1", None), ("Same!pass1", None)])
    assert first is not None
    assert second is not None
    assert first != second
