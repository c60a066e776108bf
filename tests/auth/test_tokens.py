from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest

from loadbay.auth.tokens import TokenClaims, TokenSigner

SECRET = "test-secret-key-" + "x" * 32


@pytest.fixture
def signer() -> TokenSigner:
    return TokenSigner(SECRET)


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    values: dict[str, Any] = {
        "iss": "loadbay",
        "aud": "loadbay-api",
        "sub": "client-1",
        "tenant": 7,
        "scope": "rostering",
        "iat": now,
        "exp": now + 60,
        "jti": "jti-1",
    }
    values.update(overrides)
    return values


def craft(signer: TokenSigner, payload: dict[str, Any], **headers: Any) -> str:
    """A token signed with the signer's own key, so only the altered part can make it fail."""
    return jwt.encode(payload, signer._key, algorithm="HS256", headers={"kid": signer.kid, **headers})


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_round_trip_carries_every_claim(signer: TokenSigner) -> None:
    before = int(time.time())
    token = signer.issue(client_id="client-1", tenant_id=7, scopes=["rostering", "admin"], ttl_seconds=60)
    verified = signer.verify(token)
    assert verified is not None
    assert before + 60 <= verified.expires_at <= int(time.time()) + 60
    assert verified == TokenClaims(
        client_id="client-1",
        tenant_id=7,
        scopes=frozenset({"rostering", "admin"}),
        expires_at=verified.expires_at,
    )


def test_issued_token_names_its_key(signer: TokenSigner) -> None:
    token = signer.issue(client_id="client-1", tenant_id=7, scopes=["rostering"], ttl_seconds=60)
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "kid": signer.kid, "typ": "JWT"}


def test_another_signer_with_the_same_secret_verifies(signer: TokenSigner) -> None:
    token = signer.issue(client_id="client-1", tenant_id=7, scopes=["rostering"], ttl_seconds=60)
    assert TokenSigner(SECRET).verify(token) is not None


def test_crafted_token_with_valid_claims_verifies(signer: TokenSigner) -> None:
    # The control for the forged tokens below: the crafting itself is sound.
    assert signer.verify(craft(signer, claims())) is not None


def test_expired_token_is_refused(signer: TokenSigner) -> None:
    token = signer.issue(client_id="client-1", tenant_id=7, scopes=["rostering"], ttl_seconds=-10)
    assert signer.verify(token) is None


def test_token_from_another_secret_is_refused(signer: TokenSigner) -> None:
    token = TokenSigner("another-secret-" + "y" * 32).issue(
        client_id="client-1", tenant_id=7, scopes=["rostering"], ttl_seconds=60
    )
    assert signer.verify(token) is None


def test_token_from_another_secret_claiming_our_kid_is_refused(signer: TokenSigner) -> None:
    other = TokenSigner("another-secret-" + "y" * 32)
    token = jwt.encode(claims(), other._key, algorithm="HS256", headers={"kid": signer.kid})
    assert signer.verify(token) is None


def test_unsigned_alg_none_token_is_refused(signer: TokenSigner) -> None:
    token = f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': signer.kid})}.{b64(claims())}."
    assert signer.verify(token) is None


def test_token_with_a_wrong_kid_is_refused(signer: TokenSigner) -> None:
    assert signer.verify(craft(signer, claims(), kid="0000000000000000")) is None


def test_token_without_kid_is_refused(signer: TokenSigner) -> None:
    token = jwt.encode(claims(), signer._key, algorithm="HS256")
    assert signer.verify(token) is None


# Our 32-byte key is short for HS512 by design of this test; PyJWT warns when crafting it.
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_token_signed_with_another_hmac_algorithm_is_refused(signer: TokenSigner) -> None:
    token = jwt.encode(claims(), signer._key, algorithm="HS512", headers={"kid": signer.kid})
    assert signer.verify(token) is None


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "another-api"},
        {"iss": "someone-else"},
        {"tenant": "7"},
        {"sub": 12},
        {"scope": ["rostering"]},
    ],
    ids=["audience", "issuer", "tenant-type", "sub-type", "scope-type"],
)
def test_token_with_a_wrong_claim_is_refused(signer: TokenSigner, overrides: dict[str, Any]) -> None:
    assert signer.verify(craft(signer, claims(**overrides))) is None


@pytest.mark.parametrize("missing", ["iss", "aud", "sub", "tenant", "scope", "iat", "exp", "jti"])
def test_token_missing_a_claim_is_refused(signer: TokenSigner, missing: str) -> None:
    payload = claims()
    del payload[missing]
    assert signer.verify(craft(signer, payload)) is None


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "Bearer x.y.z"])
def test_garbage_is_refused(signer: TokenSigner, token: str) -> None:
    assert signer.verify(token) is None
