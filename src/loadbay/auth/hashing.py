"""argon2id hashing for client secrets."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_secret_hasher = PasswordHasher()
# Verified against when a client id is unknown, so that case takes as long as a wrong secret.
_DUMMY_HASH = _secret_hasher.hash("loadbay-dummy-secret")


def hash_secret(secret: str) -> str:
    return _secret_hasher.hash(secret)


def verify_secret(stored_hash: str | None, secret: str) -> bool:
    try:
        return _secret_hasher.verify(stored_hash or _DUMMY_HASH, secret) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
