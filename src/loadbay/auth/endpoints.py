"""POST /api/v1/oauth2/tokens: the OAuth2 client credentials grant (RFC 6749 §4.4)."""

from __future__ import annotations

import base64
import binascii
import logging
from urllib.parse import unquote_plus

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from loadbay.auth.service import authenticate_client
from loadbay.deps import DbSession, RuntimeDep
from loadbay.limiting.service import Refused, per_minute

router = APIRouter(tags=["auth"])
log = logging.getLogger("loadbay.auth")

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _oauth_error(
    error: str, description: str, status_code: int = 400, *, challenge: bool = False
) -> JSONResponse:
    headers = dict(_NO_STORE)
    if challenge:
        # Only for a client that tried HTTP Basic (RFC 6749 5.2): to a browser's fetch with form
        # fields, a Basic challenge means a password dialog of its own instead of our message.
        headers["WWW-Authenticate"] = 'Basic realm="loadbay"'
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status_code, headers=headers
    )


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")
    client_id, _, client_secret = decoded.partition(":")
    # RFC 6749 §2.3.1: both parts are form-urlencoded before they are joined.
    return unquote_plus(client_id), unquote_plus(client_secret)


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


@router.post("/api/v1/oauth2/tokens")
@router.post("/api/v1/upload/v1/oauth2/tokens", include_in_schema=False)
async def issue_token(request: Request, session: DbSession, runtime: RuntimeDep) -> JSONResponse:
    """Exchange client credentials (form fields, urlencoded body or HTTP Basic) for a token."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        return _oauth_error(
            "invalid_request",
            "Send the token request as application/x-www-form-urlencoded or multipart/form-data.",
        )
    try:
        form = await request.form(max_files=0, max_fields=20)
    except Exception:
        return _oauth_error("invalid_request", "The request body could not be read as a form.")
    # Some clients send the seeds' quoted curl values literally ("client_credentials").
    fields = {key: _unquote(value) for key, value in form.items() if isinstance(value, str)}

    grant_type = fields.get("grant_type", "")
    if not grant_type:
        return _oauth_error("invalid_request", "grant_type is required; use client_credentials.")
    if grant_type != "client_credentials":
        return _oauth_error("unsupported_grant_type", "Only grant_type=client_credentials is supported.")

    basic = _basic_credentials(request)
    form_credentials = "client_id" in fields or "client_secret" in fields
    if basic is not None and form_credentials:
        return _oauth_error(
            "invalid_request",
            "Send client credentials either as HTTP Basic or as form fields, not both.",
        )
    client_id, client_secret = basic or (
        fields.get("client_id", ""),
        fields.get("client_secret", ""),
    )
    if not client_id or not client_secret:
        return _oauth_error(
            "invalid_client", "client_id and client_secret are required.", 401, challenge=basic is not None
        )

    # Before any hash. Failed attempts count per client id and address (a success clears them),
    # so a wrong secret tried again and again costs no argon2 work, and a stranger who knows a
    # client id cannot lock that client out from elsewhere; every attempt counts per address,
    # so one source spraying made-up client ids is bounded too.
    limiter, settings = runtime.limiter, runtime.settings
    address = request.client.host if request.client else "unknown"
    address_rule = per_minute(settings.token_address_attempts_per_minute)
    failure_rule = per_minute(settings.token_attempts_per_minute)
    failure_key = ("token-failures", client_id[:128], address)

    def admit() -> Refused | None:
        return limiter.check(failure_rule, *failure_key) or limiter.hit(
            address_rule, "token-address", address
        )

    limited = await run_in_threadpool(admit)
    if limited is not None:
        log.info("token request for client %r from %s refused: rate limit", client_id[:64], address)
        response = _oauth_error(
            "temporarily_unavailable",
            "Too many token requests for this client or from this address; "
            f"retry in {limited.retry_after} s. A token is valid for its expires_in: ask for a new "
            "one only when it has run out.",
            429,
        )
        response.headers["Retry-After"] = str(limited.retry_after)
        return response
    client = await run_in_threadpool(
        authenticate_client, session, client_id=client_id, client_secret=client_secret
    )
    if client is None:
        await run_in_threadpool(limiter.hit, failure_rule, *failure_key)
    else:
        await run_in_threadpool(limiter.clear, failure_rule, *failure_key)
    if client is None:
        return _oauth_error(
            "invalid_client", "Unknown client or wrong secret.", 401, challenge=basic is not None
        )

    granted = sorted(client.scope_set)
    requested = fields.get("scope", "").split()
    if requested:
        refused = sorted(set(requested) - client.scope_set)
        if refused:
            return _oauth_error(
                "invalid_scope", f"This client may not request scope(s): {', '.join(refused)}."
            )
        granted = sorted(set(requested))

    ttl = runtime.settings.token_ttl_seconds
    token = runtime.signer.issue(
        client_id=client.client_id, tenant_id=client.tenant_id, scopes=granted, ttl_seconds=ttl
    )
    return JSONResponse(
        {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": ttl,
            "scope": " ".join(granted),
        },
        headers=_NO_STORE,
    )
