"""Content type from the bytes alone, fed in chunks as an upload streams."""

from __future__ import annotations

import codecs
import io
import zipfile

import pytest

from loadbay.files.detect import HEAD_BYTES, ContentSniffer


def sniff(data: bytes, chunk: int = 7) -> tuple[str, bool]:
    sniffer = ContentSniffer()
    for start in range(0, len(data), chunk):
        sniffer.feed(data[start : start + chunk])
    return sniffer.content_type(), sniffer.is_text


def zipped(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20, "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20, "image/jpeg"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00", "image/gif"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "application/pdf"),
        (
            zipped("[Content_Types].xml", "word/document.xml"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            zipped("[Content_Types].xml", "xl/workbook.xml"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (zipped("notes.txt"), "application/zip"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 20, "application/gzip"),
        (bytes(range(256)) * 4, "application/octet-stream"),
    ],
)
def test_binary_formats_by_signature(data: bytes, expected: str) -> None:
    assert sniff(data) == (expected, False)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"name,amount\nwidget,3\n", "text/csv; charset=utf-8"),
        (b"name;amount\r\nwidget;3\r\n", "text/csv; charset=utf-8"),
        (b"name\tamount\nwidget\t3\n", "text/csv; charset=utf-8"),
        (codecs.BOM_UTF8 + "nom,montant\nété,3\n".encode(), "text/csv; charset=utf-8"),
        (codecs.BOM_UTF16_LE + "a,b\n1,2\n".encode("utf-16-le"), "text/csv; charset=utf-16"),
        (b'a,b\n"x, with a comma",2\n"two\nlines",3\n', "text/csv; charset=utf-8"),
        (b"Dear customer.\nYour order ships today.\n", "text/plain; charset=utf-8"),
        (b"a,b\n1,2,3\n", "text/plain; charset=utf-8"),
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "text/plain; charset=utf-8"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "text/plain; charset=utf-8"),
        (b"x", "text/plain; charset=utf-8"),
        # Two-byte signatures (Windows executables, BMP) lose to a file that is text throughout.
        (b"MZ,Name\n1,Alice\n", "text/csv; charset=utf-8"),
        (b"BM,Name\n1,Alice\n", "text/csv; charset=utf-8"),
        # PDF, RTF and PostScript can be plain ASCII and keep their type.
        (b"%PDF-1.4\n1 0 obj << >> endobj\n", "application/pdf"),
        (b"{\\rtf1\\ansi Hello}", "application/rtf"),
    ],
)
def test_text(data: bytes, expected: str) -> None:
    content_type, _is_text = sniff(data)
    assert content_type == expected


def test_a_multibyte_character_split_between_chunks_is_still_text() -> None:
    data = "name,city\nZoë,Malmö\n".encode()
    for chunk in range(1, 6):
        assert sniff(data, chunk) == ("text/csv; charset=utf-8", True)


@pytest.mark.parametrize(
    "data",
    [
        b"name,city\nZo\xeb,Malm\xf6\n",  # Latin-1, not UTF-8
        b"name,city\nZoe\x00,Malmo\n",  # a NUL byte
    ],
)
def test_undecodable_or_nul_bytes_are_not_text(data: bytes) -> None:
    assert sniff(data) == ("application/octet-stream", False)


def test_binary_bytes_after_the_sample_still_make_a_file_binary() -> None:
    data = b"a,b\n" + b"1,2\n" * (HEAD_BYTES // 4 + 10) + b"\xff\xfe\x00"
    assert sniff(data, chunk=4096) == ("application/octet-stream", False)


def test_a_long_csv_is_judged_on_its_first_lines() -> None:
    data = b"a,b\n" + b"1,2\n" * 10_000
    assert sniff(data, chunk=4096) == ("text/csv; charset=utf-8", True)
