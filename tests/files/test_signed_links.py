"""Signed links that carry an attachment name and a content type, both covered by the signature."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from loadbay.config import Settings
from loadbay.downloads.endpoints import attachment_disposition
from loadbay.kit.storage import ObjectStorage

KEY = "files/1/3f0c0000-0000-0000-0000-0000000000e9"


@pytest.fixture
def storage(tmp_path: Path) -> ObjectStorage:
    return ObjectStorage(Settings(data_dir=tmp_path, secret_key="k" * 40, public_url="http://testserver"))


def query_of(url: str) -> tuple[str, dict[str, str]]:
    split = urlsplit(url)
    return unquote(split.path.removeprefix("/signed/")), {k: v[0] for k, v in parse_qs(split.query).items()}


def test_name_and_type_travel_in_the_link_and_verify(storage: ObjectStorage) -> None:
    url = storage.signed_url(KEY, ttl_seconds=60, filename="Relevé.pdf", content_type="application/pdf")
    key, query = query_of(url)
    assert key == KEY
    assert query["filename"] == "Relevé.pdf"
    assert query["content_type"] == "application/pdf"
    check = storage.check_signature(
        method="GET",
        key=key,
        expires=query["expires"],
        signature=query["signature"],
        filename=query["filename"],
        content_type=query["content_type"],
    )
    assert check.ok


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [
        ("Relevé.pdf", "text/html"),
        ("evil.html", "application/pdf"),
        (None, "application/pdf"),
        ("Relevé.pdf", None),
        (None, None),
        # Moving text from one value to the other must not keep the signature.
        ("Relevé.pdf\napplication/pdf", ""),
    ],
)
def test_any_change_to_name_or_type_breaks_the_signature(
    storage: ObjectStorage, filename: str | None, content_type: str | None
) -> None:
    url = storage.signed_url(KEY, ttl_seconds=60, filename="Relevé.pdf", content_type="application/pdf")
    key, query = query_of(url)
    check = storage.check_signature(
        method="GET",
        key=key,
        expires=query["expires"],
        signature=query["signature"],
        filename=filename,
        content_type=content_type,
    )
    assert not check.ok
    assert "signature does not match" in check.reason


def test_a_result_file_link_does_not_verify_with_a_name_added(storage: ObjectStorage) -> None:
    key, query = query_of(storage.signed_url("import-csv/results/r.csv", ttl_seconds=60))
    assert set(query) == {"expires", "signature"}
    check = storage.check_signature(
        method="GET", key=key, expires=query["expires"], signature=query["signature"], filename="r.csv"
    )
    assert not check.ok


def test_an_s3_store_serves_named_downloads_through_loadbay(tmp_path: Path) -> None:
    # A presigned S3 URL cannot set response headers, so these links are Loadbay's own.
    storage = ObjectStorage(
        Settings(
            data_dir=tmp_path,
            secret_key="k" * 40,
            public_url="http://testserver",
            storage_url="s3://bucket",
            s3_endpoint="http://127.0.0.1:1",
            s3_access_key_id="a",
            s3_secret_access_key="b",
        )
    )
    url = storage.signed_url(KEY, ttl_seconds=60, filename="a.pdf", content_type="application/pdf")
    assert url.startswith(f"http://testserver/signed/{KEY}?")
    # Without a name or a type it is still the store's own presigned URL.
    assert storage.signed_url(KEY, ttl_seconds=60).startswith("http://127.0.0.1:1/bucket/")


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("report.pdf", "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"),
        ('say "hi".txt', "attachment; filename=\"say _hi_.txt\"; filename*=UTF-8''say%20%22hi%22.txt"),
        ("a\\b;c.txt", "attachment; filename=\"a_b;c.txt\"; filename*=UTF-8''a%5Cb%3Bc.txt"),
        ("été.csv", "attachment; filename=\"_t_.csv\"; filename*=UTF-8''%C3%A9t%C3%A9.csv"),
    ],
)
def test_attachment_disposition_is_safe_and_exact(filename: str, expected: str) -> None:
    assert attachment_disposition(filename) == expected
