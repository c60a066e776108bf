"""Multipart bodies a client can send: a boundary the parser cannot take is a 400, never a 500."""

from __future__ import annotations

import pytest

from tests.conftest import ApiUser

LONG = "b" * 300


def _body(boundary: str) -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="g.csv"\r\n\r\n'
        "group_name,group_organizationId\r\ng1,root\r\n"
        f"--{boundary}--\r\n"
    ).encode()


def test_a_boundary_over_256_characters_is_refused_on_upload(rostering: ApiUser) -> None:
    response = rostering.http.post(
        "/api/v1/upload",
        content=_body(LONG),
        headers={**rostering.headers, "Content-Type": f"multipart/form-data; boundary={LONG}"},
    )
    assert response.status_code == 400
    assert "boundary must be 1 to 256 characters long" in response.json()["message"]
    assert rostering.http.get("/api/v1/imports", headers=rostering.headers).json()["items"] == []


@pytest.mark.parametrize("boundary", ["b" * 70, "b" * 256])
def test_boundaries_up_to_256_characters_upload(rostering: ApiUser, boundary: str) -> None:
    response = rostering.http.post(
        "/api/v1/upload",
        content=_body(boundary),
        headers={**rostering.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 200, response.text


def test_a_long_boundary_on_the_token_endpoint_is_a_400(rostering: ApiUser) -> None:
    body = f'--{LONG}\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nclient_credentials\r\n--{LONG}--\r\n'
    response = rostering.http.post(
        "/api/v1/oauth2/tokens",
        content=body.encode(),
        headers={"Content-Type": f"multipart/form-data; boundary={LONG}"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
