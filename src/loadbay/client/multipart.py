"""A multipart/form-data body streamed from disk, with its length known before the first byte."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

from loadbay.client.errors import UsageError

CHUNK_BYTES = 256 * 1024


def _quote(value: str) -> str:
    # What browsers do (WHATWG HTML form encoding): the header value stays one quoted string.
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class MultipartFile:
    """Form fields, then one file part, as an iterator of bytes.

    The file is read chunk by chunk while the request is sent, never whole into memory. Its size is
    taken up front so that the request carries a Content-Length rather than chunked encoding, which
    some proxies in front of a server refuse.
    """

    def __init__(
        self, path: Path, *, fields: dict[str, str], field_name: str = "file", content_type: str = "text/csv"
    ) -> None:
        self.path = path
        self.size = path.stat().st_size
        self.boundary = f"loadbay-{secrets.token_hex(16)}"
        parts = [
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"\r\n\r\n{value}\r\n'
            for name, value in fields.items()
        ]
        disposition = f'form-data; name="{_quote(field_name)}"; filename="{_quote(path.name)}"'
        parts.append(
            f"--{self.boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: {content_type}\r\n\r\n"
        )
        self._preamble = "".join(parts).encode()
        self._epilogue = f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def content_length(self) -> int:
        return len(self._preamble) + self.size + len(self._epilogue)

    def chunks(
        self, on_progress: Callable[[int, int | None], None] | None = None, *, chunk_bytes: int = CHUNK_BYTES
    ) -> Iterator[bytes]:
        """The body; after each chunk ``on_progress`` gets the file bytes sent so far and the file size."""
        yield self._preamble
        sent = 0
        with self.path.open("rb") as handle:
            while sent < self.size:
                chunk = handle.read(min(chunk_bytes, self.size - sent))
                if not chunk:
                    # The announced Content-Length can no longer be met: stop rather than send a lie.
                    raise UsageError(f"{self.path} shrank while it was being uploaded; upload it again.")
                sent += len(chunk)
                yield chunk
                if on_progress is not None:
                    on_progress(sent, self.size)
        yield self._epilogue
