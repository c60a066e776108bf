"""Untrusted zips: real archives built with the stdlib, some with their bytes patched to lie."""

from __future__ import annotations

import io
import random
import struct
import zipfile

import pytest

from loadbay.kit.zipsafe import CHUNK_BYTES, SafeZip, ZipLimits, ZipRefused

MiB = 1024 * 1024
LIMITS = ZipLimits(max_compressed=10 * MiB, max_uncompressed=100 * MiB, max_entries=20, max_ratio=100)
CENTRAL = b"PK\x01\x02"
END = b"PK\x05\x06"


def make_zip(*entries: tuple[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, content in entries:
            archive.writestr(name, content)
    return buffer.getvalue()


def central_records(data: bytes) -> dict[str, int]:
    """Where each entry's central directory record starts."""
    records = {}
    at = data.find(CENTRAL)
    while at >= 0:
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, at + 28)
        records[data[at + 46 : at + 46 + name_length].decode()] = at
        at = data.find(CENTRAL, at + 46 + name_length + extra_length + comment_length)
    return records


def patch(data: bytes, name: str, *, file_size: int | None = None, flags: int = 0) -> bytes:
    """Rewrite an entry's declared size or add flag bits, in its central and its local header."""
    patched = bytearray(data)
    central = central_records(data)[name]
    local = struct.unpack_from("<L", data, central + 42)[0]
    for flags_at, size_at in ((central + 8, central + 24), (local + 6, local + 22)):
        struct.pack_into("<H", patched, flags_at, struct.unpack_from("<H", data, flags_at)[0] | flags)
        if file_size is not None:
            struct.pack_into("<L", patched, size_at, file_size)
    return bytes(patched)


def refusal(data: bytes, limits: ZipLimits = LIMITS) -> ZipRefused:
    with pytest.raises(ZipRefused) as caught:
        SafeZip(io.BytesIO(data), limits)
    return caught.value


def incompressible(size: int) -> bytes:
    return random.Random(size).randbytes(size)


def test_a_fine_bundle_is_read_whole_streamed_and_copied() -> None:
    users = b"sourcedId,username\n" + b"".join(b"u%d,user%d\n" % (i, i * 7919) for i in range(300_000))
    data = make_zip(("manifest.csv", b"propertyName,value\n"), ("users.csv", users), ("ORGS.CSV", b"x\n"))
    with SafeZip(io.BytesIO(data), LIMITS) as bundle:
        assert bundle.names == ["manifest.csv", "users.csv", "ORGS.CSV"]
        assert bundle.read("manifest.csv", limit=1024) == b"propertyName,value\n"
        with bundle.open("users.csv") as reader:
            assert reader.readline() == b"sourcedId,username\n"
            assert reader.read() == users[len(b"sourcedId,username\n") :]
        destination = io.BytesIO()
        assert bundle.copy("users.csv", destination) == len(users)
        assert destination.getvalue() == users


def test_stored_entries_are_read_too() -> None:
    content = incompressible(3 * MiB)
    data = make_zip(("a.csv", content), method=zipfile.ZIP_STORED)
    with SafeZip(io.BytesIO(data), LIMITS) as bundle, bundle.open("a.csv") as reader:
        assert reader.read() == content


def test_readers_of_two_entries_can_interleave() -> None:
    first, second = incompressible(2 * MiB), incompressible(2 * MiB + 1)
    with SafeZip(io.BytesIO(make_zip(("a.csv", first), ("b.csv", second))), LIMITS) as bundle:
        a, b = bundle.open("a.csv"), bundle.open("b.csv")
        pieces = [(a.read(MiB), b.read(MiB)) for _ in range(3)]
        assert b"".join(piece[0] for piece in pieces) == first
        assert b"".join(piece[1] for piece in pieces) == second


def test_copy_writes_one_chunk_at_a_time() -> None:
    class Recorder(io.BytesIO):
        sizes: list[int] = []

        def write(self, chunk: object) -> int:
            assert isinstance(chunk, bytes)
            self.sizes.append(len(chunk))
            return super().write(chunk)

    with SafeZip(io.BytesIO(make_zip(("z.csv", incompressible(5 * MiB)))), LIMITS) as bundle:
        destination = Recorder()
        bundle.copy("z.csv", destination)
    assert max(destination.sizes) <= CHUNK_BYTES
    assert sum(destination.sizes) == 5 * MiB


def test_a_bomb_with_honest_headers_is_refused_before_reading() -> None:
    refused = refusal(make_zip(("users.csv", bytes(50 * MiB))))
    assert refused.code == "zip_bomb"
    assert "users.csv" in refused.message
    assert "100 times" in refused.message


def test_entries_over_max_uncompressed_between_them_are_refused_on_open() -> None:
    limits = ZipLimits(max_compressed=10 * MiB, max_uncompressed=MiB, max_entries=20, max_ratio=100)
    refused = refusal(
        make_zip(("a.csv", incompressible(600_000)), ("b.csv", incompressible(600_001))), limits
    )
    assert refused.code == "zip_bomb"
    assert "b.csv" in refused.message


def test_headers_that_lie_about_the_size_are_stopped_while_streaming() -> None:
    data = patch(make_zip(("users.csv", bytes(10 * MiB))), "users.csv", file_size=1000)
    with SafeZip(io.BytesIO(data), LIMITS) as bundle:
        destination = io.BytesIO()
        with pytest.raises(ZipRefused) as caught:
            bundle.copy("users.csv", destination)
        assert caught.value.code == "zip_bomb"
        assert "users.csv" in caught.value.message
        assert "1000 bytes" in caught.value.message
        assert len(destination.getvalue()) <= 1000

        with bundle.open("users.csv") as reader, pytest.raises(ZipRefused) as caught:
            reader.read()
        assert caught.value.code == "zip_bomb"
        with pytest.raises(ZipRefused) as caught:
            bundle.read("users.csv", limit=2000)
        assert caught.value.code == "zip_bomb"


def test_the_entries_read_are_counted_together_against_max_uncompressed() -> None:
    limits = ZipLimits(max_compressed=10 * MiB, max_uncompressed=3 * MiB, max_entries=20, max_ratio=2000)
    with SafeZip(io.BytesIO(make_zip(("users.csv", bytes(2 * MiB)))), limits) as bundle:
        bundle.copy("users.csv", io.BytesIO())
        with pytest.raises(ZipRefused) as caught:
            bundle.copy("users.csv", io.BytesIO())
    assert caught.value.code == "zip_bomb"
    assert "users.csv" in caught.value.message


@pytest.mark.parametrize(
    "name", ["../x.csv", "/abs.csv", "dir/x.csv", "dir/", "C:x.csv", "a\\b.csv", "a:b.csv", "dir/../x.csv"]
)
def test_names_that_are_not_plain_root_files_are_refused(name: str) -> None:
    refused = refusal(make_zip(("fine.csv", b"a\n"), (name, b"a\n")))
    assert refused.code == "zip_entry_name"
    assert name in refused.message


def test_a_name_hiding_a_nul_byte_is_refused() -> None:
    data = make_zip(("users.csv", b"a\n")).replace(b"users.csv", b"u\x00ers.csv")
    refused = refusal(data)
    assert refused.code == "zip_entry_name"
    assert repr("u\x00ers.csv") in refused.message


def test_a_name_twice_is_refused() -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        data = make_zip(("users.csv", b"a\n"), ("users.csv", b"b\n"))
    refused = refusal(data)
    assert refused.code == "zip_entry_name"
    assert "users.csv twice" in refused.message


def test_an_encrypted_entry_is_refused() -> None:
    refused = refusal(patch(make_zip(("users.csv", b"a\n")), "users.csv", flags=0x1))
    assert refused.code == "zip_encrypted"
    assert "users.csv" in refused.message


def test_an_entry_that_is_not_csv_is_refused() -> None:
    refused = refusal(make_zip(("users.csv", b"a\n"), ("readme.txt", b"hello\n")))
    assert refused.code == "zip_not_csv"
    assert "readme.txt" in refused.message


def test_a_compression_method_other_than_deflate_is_refused() -> None:
    refused = refusal(make_zip(("users.csv", b"a\n"), method=zipfile.ZIP_BZIP2))
    assert refused.code == "zip_method"
    assert "users.csv" in refused.message


def test_too_many_entries_are_refused() -> None:
    refused = refusal(make_zip(*((f"f{index}.csv", b"a\n") for index in range(21))))
    assert refused.code == "zip_entries"
    assert "f0.csv" in refused.message


def test_a_zip_over_max_compressed_is_refused_before_it_is_parsed() -> None:
    limits = ZipLimits(max_compressed=MiB, max_uncompressed=100 * MiB, max_entries=20, max_ratio=100)
    refused = refusal(make_zip(("users.csv", incompressible(MiB))), limits)
    assert refused.code == "zip_too_large"
    assert str(MiB) in refused.message


@pytest.mark.parametrize(
    "data",
    [
        incompressible(4096),
        b"",
        make_zip(("users.csv", incompressible(10_000)))[:5000],
        make_zip(("users.csv", b"a\n"))[:-10],
    ],
    ids=["random", "empty", "cut-in-half", "cut-end-record"],
)
def test_what_is_not_a_zip_is_refused(data: bytes) -> None:
    assert refusal(data).code == "not_a_zip"


def test_damaged_entry_data_is_refused_when_read() -> None:
    data = bytearray(make_zip(("users.csv", b"sourcedId\nu1\n"), method=zipfile.ZIP_STORED))
    data[data.index(b"u1")] = ord("x")
    with SafeZip(io.BytesIO(bytes(data)), LIMITS) as bundle, pytest.raises(ZipRefused) as caught:
        bundle.read("users.csv", limit=100)
    assert caught.value.code == "not_a_zip"
    assert "users.csv" in caught.value.message


def test_a_deflate_stream_cut_short_is_refused_when_read() -> None:
    content = incompressible(100_000)
    data = make_zip(("users.csv", content))
    central = central_records(data)["users.csv"]
    compressed = struct.unpack_from("<L", data, central + 20)[0]
    # Zero the second half of the compressed data: the stream breaks or ends early.
    start = 30 + len("users.csv")
    damaged = (
        data[: start + compressed // 2] + bytes(compressed - compressed // 2) + data[start + compressed :]
    )
    with SafeZip(io.BytesIO(damaged), LIMITS) as bundle, pytest.raises(ZipRefused) as caught:
        bundle.copy("users.csv", io.BytesIO())
    assert caught.value.code == "not_a_zip"
    assert "users.csv" in caught.value.message


def test_entries_sharing_their_compressed_data_are_refused() -> None:
    data = bytearray(make_zip(("a.csv", b"a\n" * 100), ("b.csv", b"b\n" * 100)))
    struct.pack_into("<L", data, central_records(bytes(data))["b.csv"] + 42, 0)
    refused = refusal(bytes(data))
    assert refused.code == "zip_bomb"
    assert "a.csv" in refused.message
    assert "b.csv" in refused.message


def test_many_directory_records_of_one_entry_are_refused_by_the_overall_ratio() -> None:
    """The overlapping construction of 'A better zip bomb': each record's own ratio looks fine."""
    data = make_zip(("k000.csv", incompressible(500) + bytes(20_000)))  # about 40 to 1 on its own
    record_at = central_records(data)["k000.csv"]
    end_at = data.index(END)
    record = data[record_at:end_at]
    records = b"".join(record.replace(b"k000.csv", f"k{index:03}.csv".encode()) for index in range(100))
    end = bytearray(data[end_at:])
    struct.pack_into("<HHLL", end, 8, 100, 100, len(records), record_at)
    limits = ZipLimits(max_compressed=10 * MiB, max_uncompressed=100 * MiB, max_entries=100, max_ratio=100)
    refused = refusal(data[:record_at] + records + bytes(end), limits)
    assert refused.code == "zip_bomb"
    assert "k000.csv" in refused.message
    assert "times its size" in refused.message


def test_read_refuses_an_entry_declared_over_its_limit() -> None:
    data = make_zip(("manifest.csv", incompressible(2000)))
    with SafeZip(io.BytesIO(data), LIMITS) as bundle, pytest.raises(ZipRefused) as caught:
        bundle.read("manifest.csv", limit=1000)
    assert caught.value.code == "zip_too_large"
    assert "manifest.csv" in caught.value.message
