"""Request headers are capped at the HTTP layer of a real ``loadbay serve`` (issue 16)."""

from __future__ import annotations

import http.client
import re
import socket

import pytest

from loadbay.kit.httpserver import MAX_HEADER_BYTES
from tests.e2e.server import LoadbayServer

pytestmark = pytest.mark.e2e


def _get(server: LoadbayServer, headers: dict[str, str]) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request("GET", "/api/v1/imports", headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _send_huge_header(server: LoadbayServer) -> bytes:
    """Send a 2 MB Authorization header 16 KiB at a time until the server stops taking it; what
    it answered."""
    answer = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(b"GET /api/v1/imports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ")
        try:
            for _ in range(2_000_000 // 16384):
                sock.sendall(b"a" * 16384)
                sock.setblocking(False)
                try:
                    answer += sock.recv(65536)
                except BlockingIOError:
                    pass
                finally:
                    sock.setblocking(True)
                if answer:
                    break
        except (BrokenPipeError, ConnectionResetError):
            pass
        # Then whatever else it answered, to the end.
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    return answer


def test_a_2_mb_authorization_header_is_refused_431_and_the_server_goes_on(server: LoadbayServer) -> None:
    answer = _send_huge_header(server)
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"), answer[:200]
    assert answer.endswith(b"Request headers too large: at most 65536 bytes.")
    # Headers under the cap are served as before, on a new connection.
    status, body = _get(server, {"Authorization": "Bearer " + "a" * (MAX_HEADER_BYTES // 2)})
    assert (status, body) == (401, b"Access Denied")


def test_pipelined_requests_after_a_large_body_are_served(server: LoadbayServer) -> None:
    # A body the endpoint reads whole (a token request padded to 360 KB), then a second request
    # in the same stream: the chunk that ends the body begins the next request's headers.
    body = b"grant_type=client_credentials&pad=" + b"x" * 360_000
    request = (
        b"POST /api/v1/oauth2/tokens HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
        + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    answer = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(request)
        while answer.count(b"HTTP/1.1 ") < 2:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)
    assert statuses == [b"401", b"200"], answer[:500]
