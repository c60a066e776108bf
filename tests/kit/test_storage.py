from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from loadbay.config import Settings
from loadbay.kit.storage import ObjectStorage, StorageError

KEY = "import-csv/pending/r 1.csv"


@pytest.fixture
def storage(tmp_path: Path) -> ObjectStorage:
    return ObjectStorage(Settings(data_dir=tmp_path, secret_key="k" * 40, public_url="http://testserver"))


def parts(url: str) -> tuple[str, str, str]:
    """(key, expires, signature) as the /signed/<key> endpoint receives them."""
    split = urlsplit(url)
    query = parse_qs(split.query)
    return unquote(split.path.removeprefix("/signed/")), query["expires"][0], query["signature"][0]


def put(storage: ObjectStorage, key: str, *chunks: bytes) -> None:
    async def produce() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    asyncio.run(storage.put_stream(key, produce()))


def test_signed_url_points_at_the_public_url(storage: ObjectStorage) -> None:
    url = storage.signed_url(KEY, ttl_seconds=60)
    assert url.startswith("http://testserver/signed/import-csv/pending/r%201.csv?")


def test_signed_url_round_trips(storage: ObjectStorage) -> None:
    key, expires, signature = parts(storage.signed_url(KEY, ttl_seconds=60))
    assert key == KEY
    check = storage.check_signature(method="GET", key=key, expires=expires, signature=signature)
    assert check.ok
    assert check.reason == ""


def test_tampered_signature_fails(storage: ObjectStorage) -> None:
    key, expires, signature = parts(storage.signed_url(KEY, ttl_seconds=60))
    forged = ("A" if signature[0] != "A" else "B") + signature[1:]
    check = storage.check_signature(method="GET", key=key, expires=expires, signature=forged)
    assert not check.ok
    assert "signature does not match" in check.reason


def test_tampered_key_fails(storage: ObjectStorage) -> None:
    _key, expires, signature = parts(storage.signed_url(KEY, ttl_seconds=60))
    check = storage.check_signature(
        method="GET", key="import-csv/pending/other.csv", expires=expires, signature=signature
    )
    assert not check.ok
    assert "signature does not match" in check.reason


def test_tampered_expiry_fails(storage: ObjectStorage) -> None:
    key, expires, signature = parts(storage.signed_url(KEY, ttl_seconds=60))
    later = str(int(expires) + 3600)
    check = storage.check_signature(method="GET", key=key, expires=later, signature=signature)
    assert not check.ok
    assert "signature does not match" in check.reason


def test_signature_is_bound_to_the_method(storage: ObjectStorage) -> None:
    key, expires, signature = parts(storage.signed_url(KEY, ttl_seconds=60))
    check = storage.check_signature(method="PUT", key=key, expires=expires, signature=signature)
    assert not check.ok


def test_signature_from_another_secret_fails(storage: ObjectStorage, tmp_path: Path) -> None:
    other = ObjectStorage(
        Settings(data_dir=tmp_path / "other", secret_key="o" * 40, public_url="http://testserver")
    )
    key, expires, signature = parts(other.signed_url(KEY, ttl_seconds=60))
    assert not storage.check_signature(method="GET", key=key, expires=expires, signature=signature).ok


def test_expired_link_fails(storage: ObjectStorage) -> None:
    key, expires, signature = parts(storage.signed_url(KEY, ttl_seconds=-5))
    check = storage.check_signature(method="GET", key=key, expires=expires, signature=signature)
    assert not check.ok
    assert "expired" in check.reason


@pytest.mark.parametrize("expires", ["", "soon", "1.5", "1e9"])
def test_malformed_expiry_fails(storage: ObjectStorage, expires: str) -> None:
    _key, _expires, signature = parts(storage.signed_url(KEY, ttl_seconds=60))
    check = storage.check_signature(method="GET", key=KEY, expires=expires, signature=signature)
    assert not check.ok
    assert "malformed" in check.reason


def test_put_stream_then_open_streams_content_back(storage: ObjectStorage) -> None:
    put(storage, KEY, b"user_username\n", b"alice\n", b"bob\n")
    assert storage.exists(KEY)
    with storage.open(KEY) as reader:
        assert reader.readline() == b"user_username\n"
        assert reader.read() == b"alice\nbob\n"


def test_put_stream_that_raises_leaves_no_object(storage: ObjectStorage, tmp_path: Path) -> None:
    class Refused(Exception):
        pass

    async def produce() -> AsyncIterator[bytes]:
        yield b"user_username\n"
        raise Refused("not a CSV file")

    with pytest.raises(Refused, match="not a CSV file"):
        asyncio.run(storage.put_stream(KEY, produce()))
    assert not storage.exists(KEY)
    # No partial or temporary file is left behind either.
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []


def test_copy_keeps_the_source(storage: ObjectStorage) -> None:
    put(storage, KEY, b"a,b\n")
    storage.copy(KEY, "import-csv/done/r.csv")
    assert storage.exists(KEY)
    with storage.open("import-csv/done/r.csv") as reader:
        assert reader.read() == b"a,b\n"


def test_copy_of_a_missing_object_raises_storage_error(storage: ObjectStorage) -> None:
    with pytest.raises(StorageError):
        storage.copy("import-csv/pending/missing.csv", "import-csv/done/missing.csv")


def test_open_of_a_missing_object_raises_storage_error(storage: ObjectStorage) -> None:
    with pytest.raises(StorageError):
        storage.open("import-csv/pending/missing.csv")


def test_delete_removes_the_object(storage: ObjectStorage) -> None:
    put(storage, KEY, b"a,b\n")
    storage.delete(KEY)
    assert not storage.exists(KEY)


def test_delete_of_a_missing_object_is_quiet(storage: ObjectStorage) -> None:
    storage.delete("import-csv/pending/missing.csv")
    assert not storage.exists("import-csv/pending/missing.csv")


def test_delete_prefix_removes_that_folder_only(storage: ObjectStorage) -> None:
    for key in ("import-csv/work/1/result/part-1.csv", "import-csv/work/1/copy/part-1.csv"):
        put(storage, key, b"x\n")
    put(storage, "import-csv/work/10/result/part-1.csv", b"kept\n")
    storage.delete_prefix("import-csv/work/1/")
    assert not storage.exists("import-csv/work/1/result/part-1.csv")
    assert not storage.exists("import-csv/work/1/copy/part-1.csv")
    assert storage.exists("import-csv/work/10/result/part-1.csv")


def test_delete_prefix_of_nothing_is_quiet(storage: ObjectStorage) -> None:
    storage.delete_prefix("import-csv/work/none/")
    assert not storage.exists("import-csv/work/none/part-1.csv")


def test_an_object_deleted_after_opening_raises_storage_error_on_read(storage: ObjectStorage) -> None:
    put(storage, KEY, b"a,b\n")
    reader = storage.open(KEY)
    storage.delete(KEY)
    with pytest.raises(StorageError), reader:
        reader.read()


def _read(storage: ObjectStorage, key: str) -> bytes:
    with storage.open(key) as handle:
        return handle.read()


def test_a_scratch_file_is_stored_without_a_copy_and_outlives_its_scratch_name(
    storage: ObjectStorage,
) -> None:
    assert storage.scratch is not None
    made = storage.scratch / "result.csv"
    made.write_bytes(b"line,outcome\r\n2,created\r\n")
    storage.put_file("import-csv/results/r1.csv", made)
    # The same file under two names: nothing was copied.
    assert made.stat().st_nlink == 2
    made.unlink()
    assert _read(storage, "import-csv/results/r1.csv") == b"line,outcome\r\n2,created\r\n"


def test_a_stored_object_written_over_leaves_the_other_name_as_it_was(storage: ObjectStorage) -> None:
    assert storage.scratch is not None
    made = storage.scratch / "kept.csv"
    made.write_bytes(b"first\n")
    storage.put_file("a/one.csv", made)
    storage.copy("a/one.csv", "a/two.csv")
    put(storage, "a/one.csv", b"second\n")
    assert _read(storage, "a/one.csv") == b"second\n"
    assert _read(storage, "a/two.csv") == b"first\n"
    assert made.read_bytes() == b"first\n"


def test_a_file_from_elsewhere_is_stored_as_a_copy(storage: ObjectStorage, tmp_path: Path) -> None:
    elsewhere = tmp_path / "mine.csv"
    elsewhere.write_bytes(b"before\n")
    storage.put_file("a/mine.csv", elsewhere)
    # The caller may go on using its own file.
    elsewhere.write_bytes(b"after\n")
    assert _read(storage, "a/mine.csv") == b"before\n"


def test_a_key_that_is_not_a_plain_path_is_stored_as_a_copy(storage: ObjectStorage) -> None:
    assert storage.scratch is not None
    made = storage.scratch / "odd.csv"
    made.write_bytes(b"x\n")
    storage.put_file(KEY, made)  # a space in the key: the store's own encoding decides its path
    assert made.stat().st_nlink == 1
    assert _read(storage, KEY) == b"x\n"


def test_scratch_files_not_written_since_the_moment_are_swept(storage: ObjectStorage) -> None:
    assert storage.scratch is not None
    old, fresh = storage.scratch / "old.csv", storage.scratch / "fresh.csv"
    old.write_bytes(b"left by a killed process\n")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    fresh.write_bytes(b"being written\n")
    assert storage.sweep_scratch(datetime.now(UTC) - timedelta(hours=1)) == 1
    assert not old.exists()
    assert fresh.exists()
