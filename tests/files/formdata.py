"""Multipart bodies laid out byte for byte as Node's ``form-data`` package writes them (seed 004)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class FilePart:
    filename: str
    content: bytes
    # form-data looks the type up from the file's extension, application/octet-stream otherwise.
    content_type: str = "application/octet-stream"


Part = tuple[str, "str | FilePart"]


def node_form(parts: list[Part]) -> tuple[bytes, str]:
    """(body, Content-Type header) for ``parts`` in the order given, as ``form.append`` builds them."""
    boundary = "-" * 26 + "".join(secrets.choice("0123456789") for _ in range(24))
    body = bytearray()
    for name, value in parts:
        body += f"--{boundary}\r\n".encode()
        if isinstance(value, FilePart):
            body += (
                f'Content-Disposition: form-data; name="{name}"; filename="{value.filename}"\r\n'
                f"Content-Type: {value.content_type}\r\n\r\n"
            ).encode()
            body += value.content
        else:
            body += f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            body += value.encode()
        body += b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes(body), f"multipart/form-data; boundary={boundary}"
