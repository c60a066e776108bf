"""Where Loadbay may send a webhook: http(s) URLs of public hosts only, unless told otherwise.

A webhook makes the server send requests to an address a client chose. Without this check a
client could aim it at the machine's own services or the private network behind it (SSRF).
The host is resolved both when the URL is registered and before every attempt, since what a
name points at can change.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048


class TargetRefused(Exception):
    """The URL may not be called; the text says why and what to do."""


def check_url(url: str) -> None:
    """What can be said of the URL without resolving it."""
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefused(f"The webhook URL is longer than {MAX_URL_LENGTH} characters.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("The webhook URL must be an absolute http:// or https:// URL with a host.")
    if parts.username is not None or parts.password is not None:
        # It would be shown back in every listing: the receiver checks the signature instead.
        raise TargetRefused(
            "The webhook URL must not hold a user name or password; the receiver checks the "
            "webhook-signature header instead."
        )
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError:
        raise TargetRefused("The webhook URL's port is not a number from 1 to 65535.") from None


def check_target(url: str, *, allow_private: bool) -> None:
    """Raise TargetRefused unless ``url`` is well formed and its host resolves to public addresses only."""
    check_url(url)
    if allow_private:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise TargetRefused(f"The webhook URL's host {host} does not resolve.") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if not address.is_global:
            raise TargetRefused(
                f"The webhook URL's host {host} resolves to {address}, a private, loopback or "
                "reserved address; Loadbay calls those only when LOADBAY_WEBHOOK_ALLOW_PRIVATE=true."
            )
