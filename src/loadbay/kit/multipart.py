"""Read a multipart/form-data request part by part as it arrives, never holding it whole.

Starlette's ``request.form()`` spools every file before the endpoint runs, which is too
late to enforce an upload limit or refuse a bad file early; this reader hands the
endpoint each part's bytes while the client is still sending them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request


class MultipartError(ValueError):
    """The request is not well-formed multipart/form-data."""


class BadBoundary(MultipartError):
    """The Content-Type's boundary is one the parser cannot take: the body is never read."""


@dataclass
class PartInfo:
    name: str
    filename: str | None
    content_type: str | None


# RFC 2046 §5.1.1 says 1 to 70 characters; the parser takes up to 256, and so do we (a client
# a little over the RFC still uploads), but no more: beyond that it raised, which answered 500.
MAX_BOUNDARY = 256


@dataclass
class _Events:
    queue: deque[tuple[str, object]] = field(default_factory=deque)
    header_field: bytes = b""
    header_value: bytes = b""
    headers: dict[str, bytes] = field(default_factory=dict)


class MultipartReader:
    """Iterate parts with :meth:`next_part`, then read one with :meth:`iter_data` or :meth:`read_text`."""

    def __init__(self, request: Request) -> None:
        content_type, params = parse_options_header(request.headers.get("content-type", ""))
        if content_type != b"multipart/form-data" or b"boundary" not in params:
            raise MultipartError("Send the request as multipart/form-data.")
        if not 1 <= len(params[b"boundary"]) <= MAX_BOUNDARY:
            raise BadBoundary(
                f"The multipart boundary must be 1 to {MAX_BOUNDARY} characters long; "
                "let the HTTP client choose it."
            )
        self._events = _Events()
        self._stream = request.stream()
        self._exhausted = False
        self._in_part = False
        ev = self._events

        def on_part_begin() -> None:
            ev.headers = {}

        def on_header_field(data: bytes, start: int, end: int) -> None:
            ev.header_field += data[start:end]

        def on_header_value(data: bytes, start: int, end: int) -> None:
            ev.header_value += data[start:end]

        def on_header_end() -> None:
            ev.headers[ev.header_field.decode("latin-1").lower()] = ev.header_value
            ev.header_field = b""
            ev.header_value = b""

        def on_headers_finished() -> None:
            ev.queue.append(("begin", _part_info(ev.headers)))

        def on_part_data(data: bytes, start: int, end: int) -> None:
            ev.queue.append(("data", bytes(data[start:end])))

        def on_part_end() -> None:
            ev.queue.append(("end", None))

        def on_end() -> None:
            ev.queue.append(("finish", None))

        self._parser = MultipartParser(
            params[b"boundary"],
            {
                "on_part_begin": on_part_begin,
                "on_header_field": on_header_field,
                "on_header_value": on_header_value,
                "on_header_end": on_header_end,
                "on_headers_finished": on_headers_finished,
                "on_part_data": on_part_data,
                "on_part_end": on_part_end,
                "on_end": on_end,
            },
        )

    async def _next_event(self) -> tuple[str, object]:
        while not self._events.queue:
            if self._exhausted:
                raise MultipartError("The multipart body ended before its closing boundary.")
            try:
                chunk = await self._stream.__anext__()
            except StopAsyncIteration:
                self._exhausted = True
                try:
                    self._parser.finalize()
                except Exception as exc:
                    raise MultipartError(f"The multipart body is malformed: {exc}") from exc
                continue
            if chunk:
                try:
                    self._parser.write(chunk)
                except Exception as exc:
                    raise MultipartError(f"The multipart body is malformed: {exc}") from exc
        return self._events.queue.popleft()

    async def next_part(self) -> PartInfo | None:
        """Skip whatever is left of the current part and return the next one's headers."""
        while True:
            kind, payload = await self._next_event()
            if kind == "begin":
                self._in_part = True
                assert isinstance(payload, PartInfo)
                return payload
            if kind == "finish":
                return None

    async def iter_data(self) -> AsyncIterator[bytes]:
        """The current part's bytes, chunk by chunk as they arrive."""
        while self._in_part:
            kind, payload = await self._next_event()
            if kind == "data":
                assert isinstance(payload, bytes)
                yield payload
            elif kind == "end":
                self._in_part = False

    async def read_text(self, *, limit: int = 64 * 1024) -> str:
        """The current part as text; a form field, not a file, so it must be small."""
        data = bytearray()
        async for chunk in self.iter_data():
            data += chunk
            if len(data) > limit:
                raise MultipartError("A form field is too long.")
        return data.decode("utf-8", errors="replace")


def _part_info(headers: dict[str, bytes]) -> PartInfo:
    _disposition, params = parse_options_header(headers.get("content-disposition", b""))
    name = params.get(b"name", b"").decode("utf-8", errors="replace")
    raw_filename = params.get(b"filename")
    filename = raw_filename.decode("utf-8", errors="replace") if raw_filename is not None else None
    content_type = headers.get("content-type")
    return PartInfo(
        name=name,
        filename=filename,
        content_type=content_type.decode("latin-1") if content_type else None,
    )
