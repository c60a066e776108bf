"""The streamed multipart body: what a form parser reads back, and its announced length."""

from __future__ import annotations

from email.message import Message
from email.parser import BytesParser
from pathlib import Path
from typing import cast

import pytest

from loadbay.client.errors import UsageError
from loadbay.client.multipart import MultipartFile


def parse(body: MultipartFile, data: bytes) -> list[Message]:
    message = BytesParser().parsebytes(f"Content-Type: {body.content_type}\r\n\r\n".encode() + data)
    parts = message.get_payload()
    assert isinstance(parts, list)
    return cast(list[Message], parts)


def test_fields_then_the_file_with_the_length_announced(tmp_path: Path) -> None:
    path = tmp_path / 'say "hi".csv'
    path.write_bytes(b"a,b\r\n1,2\r\n" * 1000)
    body = MultipartFile(path, fields={"dryRun": "true", "importType": "users"})
    progress: list[tuple[int, int | None]] = []

    data = b"".join(body.chunks(lambda done, total: progress.append((done, total)), chunk_bytes=4096))

    assert len(data) == body.content_length
    assert progress == [(4096, 10_000), (8192, 10_000), (10_000, 10_000)]
    dry_run, import_type, upload = parse(body, data)
    assert (dry_run.get_param("name", header="content-disposition"), dry_run.get_payload()) == (
        "dryRun",
        "true",
    )
    assert import_type.get_payload() == "users"
    # A quote in the name is escaped as browsers do, so the header stays one quoted string.
    assert upload.get_param("filename", header="content-disposition") == "say %22hi%22.csv"
    assert upload.get_content_type() == "text/csv"
    assert upload.get_payload(decode=True) == path.read_bytes()


def test_a_file_that_shrinks_while_it_is_sent_stops_the_upload(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_bytes(b"x" * 10_000)
    body = MultipartFile(path, fields={})
    path.write_bytes(b"x" * 10)

    with pytest.raises(UsageError, match="shrank while it was being uploaded"):
        b"".join(body.chunks())


def test_a_bundle_goes_as_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "district.zip"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)))
    body = MultipartFile(path, fields={}, content_type="application/zip")

    (upload,) = parse(body, b"".join(body.chunks()))
    assert upload.get_content_type() == "application/zip"
    assert upload.get_payload(decode=True) == path.read_bytes()
