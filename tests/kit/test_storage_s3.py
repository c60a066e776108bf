"""ObjectStorage on an S3-compatible store: moto's server on loopback, reached over HTTP by obstore."""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from loadbay.config import Settings
from loadbay.kit.storage import ObjectStorage, StorageError
from tests.e2e.server import free_port
from tests.scaleout.s3server import ACCESS_KEY_ID, S3Server

KEY = "import-csv/pending/r1.csv"


def s3_settings(tmp_path: Path, s3_server: S3Server, bucket: str, **overrides: object) -> Settings:
    env = s3_server.env(bucket)
    values: dict[str, object] = {
        "data_dir": tmp_path,
        "secret_key": "k" * 40,
        "storage_url": env["LOADBAY_STORAGE_URL"],
        "s3_endpoint": env["LOADBAY_S3_ENDPOINT"],
        "s3_region": env["LOADBAY_S3_REGION"],
        "s3_access_key_id": env["LOADBAY_S3_ACCESS_KEY_ID"],
        "s3_secret_access_key": env["LOADBAY_S3_SECRET_ACCESS_KEY"],
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def bucket(s3_server: S3Server) -> str:
    return s3_server.new_bucket()


@pytest.fixture
def storage(tmp_path: Path, s3_server: S3Server, bucket: str) -> ObjectStorage:
    return ObjectStorage(s3_settings(tmp_path, s3_server, bucket))


def put(storage: ObjectStorage, key: str, *chunks: bytes, fail_after: int | None = None) -> None:
    async def produce() -> AsyncIterator[bytes]:
        for index, chunk in enumerate(chunks):
            if index == fail_after:
                raise ValueError("the client went away")
            yield chunk

    asyncio.run(storage.put_stream(key, produce()))


def test_objects_round_trip_under_the_prefix(
    storage: ObjectStorage, s3_server: S3Server, bucket: str
) -> None:
    put(storage, KEY, b"user_username\n", b"alice\n" * 50_000)
    assert storage.exists(KEY)
    assert not storage.exists("import-csv/pending/other.csv")
    with storage.open(KEY) as reader:
        assert reader.readline() == b"user_username\n"
        assert len(reader.read()) == 6 * 50_000

    async def collect() -> bytes:
        return b"".join([chunk async for chunk in storage.iter_bytes(KEY)])

    assert asyncio.run(collect()).startswith(b"user_username\nalice\n")
    storage.copy(KEY, "import-csv/processed/r1.csv")
    storage.delete(KEY)
    storage.delete(KEY)  # deleting what is gone is not an error
    storage.check()
    # The URL's prefix is where the objects really live in the bucket.
    assert s3_server.keys(bucket) == ["loadbay/import-csv/processed/r1.csv"]


def test_a_stream_that_fails_stores_nothing(storage: ObjectStorage, s3_server: S3Server, bucket: str) -> None:
    with pytest.raises(ValueError, match="went away"):
        put(storage, KEY, b"a" * (6 << 20), b"b" * (6 << 20), b"c", fail_after=2)
    assert not storage.exists(KEY)
    assert s3_server.keys(bucket) == []


def test_signed_url_is_an_s3_presigned_get_with_the_expiry(
    storage: ObjectStorage, s3_server: S3Server
) -> None:
    put(storage, KEY, b"line,outcome\n2,created\n")
    url = storage.signed_url(KEY, ttl_seconds=600)
    split = urlsplit(url)
    query = parse_qs(split.query)
    assert f"{split.scheme}://{split.netloc}" == s3_server.endpoint
    assert split.path.endswith(f"/loadbay/{KEY}")
    assert query["X-Amz-Expires"] == ["600"]
    assert query["X-Amz-Credential"][0].startswith(f"{ACCESS_KEY_ID}/")
    assert query["X-Amz-Signature"][0]
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"line,outcome\n2,created\n"


def test_credentials_fall_back_to_the_aws_variables(
    tmp_path: Path, s3_server: S3Server, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-aws-env")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    storage = ObjectStorage(Settings(data_dir=tmp_path, secret_key="k" * 40, storage_url=f"s3://{bucket}"))
    put(storage, KEY, b"x\n")
    assert s3_server.keys(bucket) == [KEY]
    query = parse_qs(urlsplit(storage.signed_url(KEY, ttl_seconds=60)).query)
    assert query["X-Amz-Credential"][0].startswith("from-aws-env/")
    assert "/eu-west-3/s3/" in query["X-Amz-Credential"][0]


def test_an_unreachable_store_fails_fast_with_one_line(tmp_path: Path, s3_server: S3Server) -> None:
    # Nothing listens on this port: every request is refused.
    dead = f"http://127.0.0.1:{free_port()}"
    storage = ObjectStorage(s3_settings(tmp_path, s3_server, "loadbay", s3_endpoint=dead))
    started = time.monotonic()
    with pytest.raises(StorageError) as raised:
        storage.check()
    assert time.monotonic() - started < 20
    assert "\n" not in str(raised.value)
    # "Is it there?" must not answer "no" when the store cannot be asked.
    with pytest.raises(StorageError):
        storage.exists(KEY)
    with pytest.raises(StorageError):
        put(storage, KEY, b"x\n")


def test_signed_urls_can_name_the_address_clients_use(
    tmp_path: Path, s3_server: S3Server, bucket: str
) -> None:
    # Loadbay reaches the store at 127.0.0.1; clients know it as localhost (say, outside a container).
    public = f"http://localhost:{s3_server.port}"
    storage = ObjectStorage(s3_settings(tmp_path, s3_server, bucket, s3_public_endpoint=public))
    put(storage, KEY, b"hello\n")
    url = storage.signed_url(KEY, ttl_seconds=60)
    assert url.startswith(f"{public}/{bucket}/loadbay/{KEY}?")
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"hello\n"


def test_delete_prefix_removes_that_folder_of_the_bucket_only(
    storage: ObjectStorage, s3_server: S3Server, bucket: str
) -> None:
    for number in range(3):
        put(storage, f"import-csv/work/1/result/part-{number}.csv", b"x\n")
    put(storage, "import-csv/work/10/result/part-0.csv", b"kept\n")
    storage.delete_prefix("import-csv/work/1/")
    assert s3_server.keys(bucket) == ["loadbay/import-csv/work/10/result/part-0.csv"]
