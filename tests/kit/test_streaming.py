"""Storing an upload as it streams: measured, hashed, checked, and nothing kept when refused."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from loadbay.config import Settings
from loadbay.kit.storage import ObjectStorage
from loadbay.kit.streaming import Streamed, TooLarge, store_stream

KEY = "import-csv/pending/upload.csv"
# 40 chunks of 64 KiB, as a server receives a body: more than one batch of checks.
CHUNKS = [bytes([65 + i % 26]) * 65_536 for i in range(40)]


@pytest.fixture
def storage(tmp_path: Path) -> ObjectStorage:
    return ObjectStorage(Settings(data_dir=tmp_path, secret_key="k" * 40, public_url="http://testserver"))


async def _chunks() -> AsyncIterator[bytes]:
    for chunk in CHUNKS:
        yield chunk


def _store(
    storage: ObjectStorage, *, inspect: Callable[[bytes], None] | None = None, max_bytes: int = 1 << 30
) -> tuple[Streamed, list[bytes], list[int]]:
    seen: list[bytes] = []
    ends: list[int] = []

    def look(chunk: bytes) -> None:
        seen.append(chunk)
        if inspect is not None:
            inspect(chunk)

    streamed = asyncio.run(
        store_stream(storage, KEY, _chunks(), max_bytes=max_bytes, inspect=look, at_end=ends.append)
    )
    return streamed, seen, ends


def test_the_stored_file_is_measured_hashed_and_inspected_chunk_by_chunk_in_order(
    storage: ObjectStorage,
) -> None:
    streamed, seen, ends = _store(storage)
    whole = b"".join(CHUNKS)
    assert streamed.size == len(whole)
    assert streamed.sha256 == hashlib.sha256(whole).hexdigest()
    assert seen == CHUNKS
    assert ends == [len(whole)]
    with storage.open(KEY) as handle:
        assert handle.read() == whole


@pytest.mark.parametrize("refused_at", [0, 17, 39])
def test_a_chunk_the_inspection_refuses_leaves_nothing_stored(
    storage: ObjectStorage, refused_at: int
) -> None:
    def inspect(chunk: bytes) -> None:
        if chunk is CHUNKS[refused_at]:
            raise ValueError("not a CSV file")

    with pytest.raises(ValueError, match="not a CSV file"):
        _store(storage, inspect=inspect)
    assert not storage.exists(KEY)


def test_a_stream_past_its_limit_stops_and_leaves_nothing_stored(storage: ObjectStorage) -> None:
    with pytest.raises(TooLarge):
        _store(storage, max_bytes=10 * 65_536)
    assert not storage.exists(KEY)
