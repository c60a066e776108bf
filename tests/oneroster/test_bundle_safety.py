"""A bundle is an untrusted zip: each unsafe one is a clear 400 at upload with nothing stored, and
one whose headers lie (so its directory passes) is stopped by the worker while it unpacks."""

from __future__ import annotations

import io
import random
import struct
import zipfile
from pathlib import Path

import pytest

from loadbay.config import Settings
from tests.conftest import ApiUser, make_settings, run_jobs
from tests.oneroster.bundles import bundle, manifest, patched, unzip
from tests.oneroster.test_bundles import (
    ORGS,
    codes,
    messages,
    read,
    refused,
    result_zip,
    stored_objects,
    upload,
)

MAX_ENTRIES = 4
MAX_UNPACKED = 4 * 1024 * 1024


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(
        tmp_path / "data",
        database_url,
        max_bundle_entries=MAX_ENTRIES,
        max_bundle_unpacked_bytes=MAX_UNPACKED,
    )


def with_entry(name: str, content: bytes = b"sourcedId\r\n") -> bytes:
    """A valid orgs bundle with one more entry ``name``."""
    return bundle({"orgs": ORGS}, extra={name: content})


def users_of(content: bytes) -> bytes:
    """A bundle of orgs.csv and users.csv (declared bulk) whose users.csv is ``content``."""
    return bundle({"orgs": ORGS}, modes={"orgs": "bulk", "users": "bulk"}, extra={"users.csv": content})


def noise(size: int) -> bytes:
    """Bytes that barely compress: a real file's ratio, a large one's size."""
    return random.Random(15).randbytes(size // 2).hex().encode()


def damaged(change: str) -> bytes:
    """A valid orgs bundle whose central directory says what no zip tool writes."""
    data = bytearray(bundle({"orgs": ORGS}))
    end = data.rindex(b"PK\x05\x06")
    (directory,) = struct.unpack_from("<I", data, end + 16)
    if change == "version":
        # Its first entry needs version 10.0 of the format to extract (zipfile knows up to 6.3).
        struct.pack_into("<H", data, directory + 6, 100)
    else:
        # The directory said to lie 1000 bytes further on than it does: the entries' offsets,
        # taken relative to it, point before the start of the file.
        struct.pack_into("<I", data, end + 16, directory + 1000)
    return bytes(data)


def folder_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("manifest.csv", manifest({"orgs": "bulk"}))
        archive.writestr("export/", b"")
        archive.writestr("export/orgs.csv", b"sourcedId\r\n")
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (with_entry("../orgs.csv"), "The zip entry ../orgs.csv points outside the zip with '..'"),
        (with_entry("/etc/orgs.csv"), "The zip entry /etc/orgs.csv is an absolute path"),
        (folder_zip(), "The zip holds the folder export/"),
        (with_entry("readme.txt", b"hello"), "readme.txt is not a .csv file"),
        (patched(bundle({"orgs": ORGS}), "orgs.csv", flags=0x1), "orgs.csv is protected by a password"),
        (
            bundle({"orgs": ORGS}, extra={f"extra{i}.csv": b"a\r\n" for i in range(MAX_ENTRIES)}),
            f"The zip has {MAX_ENTRIES + 2} entries, starting with manifest.csv; Loadbay takes at most "
            f"{MAX_ENTRIES}",
        ),
        # 30 MB of one byte deflates to about 30 KB: a ratio of a thousand.
        (users_of(b"a" * 30 * 1024 * 1024), "users.csv inflates from 30"),
        (users_of(noise(MAX_UNPACKED + 1024)), "Loadbay takes at most 4194304 bytes uncompressed"),
        # zipfile refuses its directory with NotImplementedError, which made the upload a 500.
        (damaged("version"), "The zip cannot be imported: "),
    ],
    ids=[
        "dot-dot",
        "absolute",
        "folder",
        "not-csv",
        "encrypted",
        "too-many-entries",
        "ratio",
        "unpacked-size",
        "damaged-directory",
    ],
)
def test_an_unsafe_zip_is_a_400_and_nothing_is_stored(rostering: ApiUser, content: bytes, words: str) -> None:
    message = refused(rostering, content)
    assert message.startswith("Invalid bundle: The zip cannot be imported: "), message
    assert words in message, message


def test_a_zip_whose_offsets_point_before_its_start_is_a_400(rostering: ApiUser) -> None:
    message = refused(rostering, damaged("offset"))
    assert "damaged" in message, message


def test_a_zip_whose_headers_lie_about_its_size_is_stopped_while_the_worker_unpacks_it(
    rostering: ApiUser,
) -> None:
    bomb = b"a" * 30 * 1024 * 1024
    # Declared 100 KB: within the ratio of its 30 KB of deflated data, so the directory passes.
    content = patched(users_of(bomb), "users.csv", file_size=100 * 1024)
    response = rostering.http.post(
        "/api/v1/upload",
        headers=rostering.headers,
        files={"file": ("bundle.zip", content, "application/zip")},
    )
    assert response.status_code == 200, response.text
    reference = str(response.json()["result"]["referenceId"])
    assert run_jobs(rostering.runtime) == 1
    status = rostering.status(reference)
    assert status["status"] == "failed"
    [message] = messages(status)
    assert message.startswith(
        "The zip cannot be imported: users.csv inflates to more than the 102400 bytes"
    ), message
    assert codes(rostering, reference) == ["invalid_bundle"]
    # orgs.csv was unpacked before users.csv, and nothing of it was written.
    assert list(read(rostering, "organizations")) == ["root"]
    assert sorted(result_zip(rostering, reference)) == ["bundle-messages.txt"]
    # Neither the bomb nor what came out of it is kept: only the result remains.
    assert stored_objects(rostering) == [f"import-csv/results/{reference}.zip"]


def test_the_limits_leave_an_ordinary_bundle_alone(rostering: ApiUser) -> None:
    # Exactly at the limit of entries: the directory passes.
    content = bundle(
        {"orgs": ORGS},
        modes={"orgs": "bulk", "users": "absent"},
        extra={f"x{i}.csv": b"" for i in range(2)},
    )
    assert len(unzip(content)) == MAX_ENTRIES
    message = refused(rostering, content)
    # Past the directory checks: the manifest is what refuses it.
    assert "x0.csv is in the bundle but is not a file of OneRoster 1.1" in message
    status = upload(rostering, bundle({"orgs": ORGS}))
    assert status["status"] == "processed", status["messages"]
