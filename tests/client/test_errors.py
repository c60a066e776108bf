"""The server's message, whichever shape of error body it came in."""

from __future__ import annotations

import pytest

from loadbay.client.errors import ApiError, server_message


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("application/json", b'{"message": "Insufficient scope"}', "Insufficient scope"),
        (
            "application/json",
            b'{"error": "invalid_client", "error_description": "Unknown client or wrong secret."}',
            "Unknown client or wrong secret.",
        ),
        ("application/json", b'{"error": "invalid_request"}', "invalid_request"),
        (
            "application/json",
            b'{"success": false, "code": 404, "errorMessage": "Company not found: check the CompanyId."}',
            "Company not found: check the CompanyId.",
        ),
        ("text/plain; charset=utf-8", b"Access Denied", "Access Denied"),
        (
            "text/html",
            b"<html><body>502 Bad Gateway</body></html>",
            "the server answered HTTP 502 without a message",
        ),
        ("application/json", b"{not json", "the server answered HTTP 502 without a message"),
    ],
    ids=["api", "oauth", "oauth-without-description", "batches", "plain-text", "html", "broken-json"],
)
def test_server_message(content_type: str, body: bytes, expected: str) -> None:
    assert server_message(502, content_type, body) == expected


def test_an_api_error_says_the_status_and_what_to_check() -> None:
    error = ApiError(401, "Access Denied", hint="the server refused the token")
    assert str(error) == "Access Denied (HTTP 401): the server refused the token"
    assert (error.status_code, error.message, error.exit_code) == (401, "Access Denied", 3)
