"""Where Loadbay may send a webhook: http(s) URLs of public hosts only, unless told otherwise.

A webhook makes the server send requests to an address a client chose. Without this check a
client could aim it at the machine's own services or the private network behind it (SSRF).
The host is resolved when the URL is registered and again before every attempt, and the
attempt connects to the address that was checked (dispatch.py), so a name cannot be pointed
elsewhere in between (DNS rebinding). An IPv6 address that carries an IPv4 one (mapped,
NAT64, 6to4, Teredo, IPv4-compatible) is judged by that IPv4 address too.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import SplitResult, urlsplit

MAX_URL_LENGTH = 2048
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(Exception):
    """The URL may not be called; the text says why and what to do."""


def check_url(url: str) -> SplitResult:
    """What can be said of the URL without resolving it; its parts."""
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefused(f"The webhook URL is longer than {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError:
        raise TargetRefused(
            "The webhook URL cannot be read (check its brackets and its port, 1 to 65535)."
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("The webhook URL must be an absolute http:// or https:// URL with a host.")
    if parts.username is not None or parts.password is not None:
        # It would be shown back in every listing: the receiver checks the signature instead.
        raise TargetRefused(
            "The webhook URL must not hold a user name or password; the receiver checks the "
            "webhook-signature header instead."
        )
    return parts


def _carried(address: Address) -> list[Address]:
    """Any IPv4 address an IPv6 one carries, then the address itself."""
    found: list[Address] = []
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            found.append(address.ipv4_mapped)
        if address.sixtofour is not None:
            found.append(address.sixtofour)
        if address.teredo is not None:
            found.extend(address.teredo)
        if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
            found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [*found, address]


def check_target(url: str, *, allow_private: bool) -> str | None:
    """Raise TargetRefused unless ``url`` is well formed and its host resolves to public
    addresses only; return the address to connect to (None when private ones are allowed, and
    the HTTP client resolves the name itself)."""
    parts = check_url(url)
    if allow_private:
        return None
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise TargetRefused(f"The webhook URL's host {host} does not resolve.") from None
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    for address in addresses:
        for judged in _carried(address):
            if not judged.is_global:
                raise TargetRefused(
                    f"The webhook URL's host {host} resolves to {judged}, a private, loopback or "
                    "reserved address; Loadbay calls those only when LOADBAY_WEBHOOK_ALLOW_PRIVATE=true."
                )
    return str(addresses[0])
