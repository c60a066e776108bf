"""Signed JWT access tokens; verification pins the algorithm and checks every claim."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass

import jwt

ALGORITHM = "HS256"
ISSUER = "loadbay"
AUDIENCE = "loadbay-api"
_REQUIRED = ["kid", "iss", "aud", "sub", "tenant", "scope", "iat", "exp", "jti"]


@dataclass(frozen=True)
class TokenClaims:
    client_id: str
    tenant_id: int
    scopes: frozenset[str]
    expires_at: int


class TokenSigner:
    def __init__(self, secret_key: str) -> None:
        self._key = hmac.new(secret_key.encode(), b"loadbay-jwt-v1", hashlib.sha256).digest()
        # Names the key, so a future rotation can tell which one signed a token.
        self.kid = hashlib.sha256(self._key).hexdigest()[:16]

    def issue(self, *, client_id: str, tenant_id: int, scopes: list[str], ttl_seconds: int) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": client_id,
            "tenant": tenant_id,
            "scope": " ".join(scopes),
            "iat": now,
            "exp": now + ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self.kid})

    def verify(self, token: str) -> TokenClaims | None:
        """The token's claims, or None when it is malformed, forged, expired or not ours."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != ALGORITHM or header.get("kid") != self.kid:
                return None
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": [c for c in _REQUIRED if c != "kid"]},
            )
        except jwt.PyJWTError:
            return None
        sub, tenant, scope = claims.get("sub"), claims.get("tenant"), claims.get("scope")
        if not isinstance(sub, str) or type(tenant) is not int or not isinstance(scope, str):
            return None
        return TokenClaims(
            client_id=sub,
            tenant_id=tenant,
            scopes=frozenset(scope.split()),
            expires_at=claims["exp"],
        )
