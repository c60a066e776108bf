"""uvicorn's httptools protocol with a cap on the size of a request's line and headers.

httptools buffers headers of any size: a 2 MB ``Authorization`` header was read in full, and
nothing stopped a larger one. Here the bytes received while a request's headers are still
incomplete are counted; past ``MAX_HEADER_BYTES`` the request is answered ``431`` and the
connection closed; nothing more of it is parsed or kept.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# nginx's default is 8 KiB per line and 32 KiB in all; a bearer token fits many times over.
MAX_HEADER_BYTES = 64 * 1024
_BODY = f"Request headers too large: at most {MAX_HEADER_BYTES} bytes.".encode()
# After refusing, how much more of the request is read (and dropped), and for how long.
_DISCARD_BYTES = 4 * 1024 * 1024
_DISCARD_SECONDS = 2.0


class CappedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_headers = False
        self._header_bytes = 0
        self._refused = False
        self._discarded = 0

    def on_message_begin(self) -> None:
        self._in_headers, self._header_bytes = True, 0
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._in_headers = False
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            # Read and drop what the client still sends, so that closing does not reset the
            # connection before it has read the 431; for a little while only.
            self._discarded += len(data)
            if self._discarded > _DISCARD_BYTES:
                self.transport.close()
            return
        # Only chunks that arrive while a request's headers are still incomplete count: the chunk
        # that begins a request may also end the one before it (its body, pipelined).
        counting = self._in_headers
        super().data_received(data)
        if not (counting and self._in_headers):
            return
        self._header_bytes += len(data)
        if self._header_bytes > MAX_HEADER_BYTES and not self.transport.is_closing():
            self._refuse()

    def _refuse(self) -> None:
        self.logger.info("refused a request whose headers passed %d bytes", MAX_HEADER_BYTES)
        self._refused = True
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: text/plain; charset=utf-8\r\n"
            + f"content-length: {len(_BODY)}\r\n".encode()
            + b"connection: close\r\n\r\n"
            + _BODY
        )
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(_DISCARD_SECONDS, self.transport.close)
