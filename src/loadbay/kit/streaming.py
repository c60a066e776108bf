"""Stream an uploaded part into object storage, measured, hashed and checked on the way."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from starlette.requests import Request

from loadbay.errors import ApiError
from loadbay.kit.multipart import MultipartError, MultipartReader
from loadbay.kit.storage import ObjectStorage, StorageError

# Room for multipart boundaries and small form fields on top of the file itself.
ENVELOPE_BYTES = 64 * 1024


class TooLarge(Exception):
    """The stream passed its size limit; nothing was stored."""


@dataclass(frozen=True)
class Streamed:
    size: int
    sha256: str


async def store_stream(
    storage: ObjectStorage,
    key: str,
    chunks: AsyncIterator[bytes],
    *,
    max_bytes: int,
    inspect: Callable[[bytes], None],
    at_end: Callable[[int], None],
) -> Streamed:
    """Store ``chunks`` at ``key``; ``inspect`` sees each chunk and ``at_end`` the total size.

    Either may raise to refuse the file: raising inside the iterator makes the store keep
    nothing. Past ``max_bytes`` it raises TooLarge at once, without reading further; an
    unreachable store becomes the seeds' 500 ``Upload error: ...``.
    """
    digest = hashlib.sha256()
    size = 0

    async def checked() -> AsyncIterator[bytes]:
        nonlocal size
        async for chunk in chunks:
            size += len(chunk)
            if size > max_bytes:
                raise TooLarge()
            inspect(chunk)
            digest.update(chunk)
            yield chunk
        at_end(size)

    try:
        await storage.put_stream(key, checked())
    except StorageError as exc:
        raise ApiError(500, f"Upload error: {exc}") from exc
    return Streamed(size=size, sha256=digest.hexdigest())


def open_multipart(request: Request, *, max_bytes: int, missing_file: str) -> MultipartReader:
    """The request's multipart reader; 413 at once when the declared length cannot fit the file,
    400 ``missing_file`` when the body is not multipart/form-data."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes + ENVELOPE_BYTES:
        raise too_large(max_bytes)
    try:
        return MultipartReader(request)
    except MultipartError:
        raise ApiError(400, missing_file) from None


def too_large(
    limit: int, *, what: str = "File", advice: str = "Split the file and upload each part."
) -> ApiError:
    """413, naming the limit in bytes and in a unit a person reads."""
    mib = limit / (1024 * 1024)
    readable = f"{mib:g} MB" if mib >= 1 else f"{limit / 1024:g} KB"
    return ApiError(413, f"{what} too large: the limit is {limit} bytes ({readable}). {advice}")


def clean_filename(filename: str | None) -> str | None:
    """The base name with path and unprintable characters dropped: metadata, never a storage key."""
    if filename is None:
        return None
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()[:255]
    return cleaned or None
