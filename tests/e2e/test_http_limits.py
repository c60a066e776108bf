"""Request headers are capped at the HTTP layer of a real ``loadbay serve`` (issue 16)."""

from __future__ import annotations

import http.client
import re
import socket
import time

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


@pytest.mark.parametrize("command", ["serve", "api"])
def test_an_idle_connection_is_kept_for_the_configured_keep_alive_then_closed(
    server_factory: type[LoadbayServer], database_url: str, command: str
) -> None:
    """Behind a load balancer the balancer must close an idle connection first: Loadbay keeps
    it as long as LOADBAY_KEEP_ALIVE_SECONDS says (75 s unless set; uvicorn's own 5 s is shorter
    than the common balancers' 60 s)."""
    if not database_url.startswith("sqlite"):
        pytest.skip("keep-alive is the HTTP layer's, whatever the database: checked once, on SQLite")
    server = server_factory(command=command).start(LOADBAY_KEEP_ALIVE_SECONDS="2")
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", "/healthz")
        first = connection.getresponse()
        assert first.status == 200
        first.read()
        sock = connection.sock
        assert sock is not None
        time.sleep(1)
        # Idle for half the keep-alive: the same connection serves the next request.
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        assert (response.status, connection.sock) == (200, sock)
        response.read()
        time.sleep(4)
        # Idle past it: the server has closed its end already (uvicorn's 5 s would keep it open).
        sock.settimeout(0.5)
        assert sock.recv(65536) == b""
    finally:
        connection.close()
