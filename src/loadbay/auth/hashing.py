"""argon2id hashing for client secrets."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's argon2id profile (m=19 MiB, t=2, p=1), as for imported passwords. argon2-cffi's own
# default (m=64 MiB, t=3, p=4) costs eight times the CPU on every token request, for secrets
# that are 256 random bits anyway. Hashes made with other parameters still verify: each hash
# carries its own.
_secret_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


@cache
def _dummy_hash() -> str:
    """Verified against when a client id is unknown, so that case takes as long as a wrong secret.

    Made on first use rather than at import: every ``loadbay`` process imports this module, and
    most never see an unknown client.
    """
    return _secret_hasher.hash("loadbay-dummy-secret")


def hash_secret(secret: str) -> str:
    return _secret_hasher.hash(secret)


def verify_secret(stored_hash: str | None, secret: str) -> bool:
    try:
        return _secret_hasher.verify(stored_hash or _dummy_hash(), secret) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
