"""Client secrets: argon2id with OWASP's parameters, and hashes made with other ones still verify."""

from argon2 import PasswordHasher

from loadbay.auth.hashing import hash_secret, verify_secret


def test_new_secrets_use_the_owasp_argon2id_profile() -> None:
    stored = hash_secret("s3cret-of-43-characters-xxxxxxxxxxxxxxxxxxx")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_secret(stored, "s3cret-of-43-characters-xxxxxxxxxxxxxxxxxxx")
    assert not verify_secret(stored, "s3cret-of-43-characters-xxxxxxxxxxxxxxxxxxy")


def test_a_hash_made_with_other_parameters_still_verifies() -> None:
    # What argon2-cffi's defaults (m=64 MiB, t=3, p=4) stored before.
    older = PasswordHasher().hash("an-older-secret")
    assert verify_secret(older, "an-older-secret")
    assert not verify_secret(older, "another-secret")


def test_an_unknown_client_or_a_broken_hash_is_refused() -> None:
    assert not verify_secret(None, "anything")
    assert not verify_secret("not a hash", "anything")
