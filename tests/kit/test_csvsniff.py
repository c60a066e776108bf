from __future__ import annotations

import codecs

import pytest

from loadbay.kit.csvsniff import NotCsvError, TextChecker, detect_delimiter, detect_encoding


def check(*chunks: bytes) -> None:
    checker = TextChecker()
    for chunk in chunks:
        checker.feed(chunk)
    checker.finish()


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (codecs.BOM_UTF8 + b"a,b", ("utf-8", 3)),
        (codecs.BOM_UTF16_LE + "a,b".encode("utf-16-le"), ("utf-16-le", 2)),
        (codecs.BOM_UTF16_BE + "a,b".encode("utf-16-be"), ("utf-16-be", 2)),
        (b"a,b", ("utf-8", 0)),
        (b"", ("utf-8", 0)),
    ],
)
def test_detect_encoding_reads_the_byte_order_mark(head: bytes, expected: tuple[str, int]) -> None:
    assert detect_encoding(head) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("user_username,user_name,user_email", ","),
        ("user_username;user_name;user_email", ";"),
        ("user_username\tuser_name\tuser_email", "\t"),
        # The delimiter that splits into most columns wins over one inside a name.
        ("name;last, first;email", ";"),
    ],
)
def test_detect_delimiter_picks_the_one_splitting_most_columns(header: str, expected: str) -> None:
    assert detect_delimiter(header) == expected


@pytest.mark.parametrize("header", ["user_username", "a,b;c\td", ""])
def test_detect_delimiter_falls_back_to_comma(header: str) -> None:
    assert detect_delimiter(header) == ","


def test_accepts_utf8_fed_byte_by_byte_through_multibyte_characters() -> None:
    data = "name,ville\nZoë,Besançon\n€uro,😀\n".encode()
    check(*(data[i : i + 1] for i in range(len(data))))


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_accepts_utf16_with_byte_order_mark(codec: str) -> None:
    data = "\ufeffname,ville\nZoë,Besançon\n".encode(codec)
    check(data[:3], data[3:7], data[7:])


def test_accepts_header_only_file() -> None:
    check(b"user_username\n")


def test_accepts_file_shorter_than_a_byte_order_mark() -> None:
    # Three bytes is a complete header-only file; it must be checked like any longer one.
    check(b"id\n")


def test_rejects_nul_bytes() -> None:
    with pytest.raises(NotCsvError, match="NUL bytes"):
        check(b"a,b\n1,\x002\n")


def test_rejects_utf16_without_byte_order_mark() -> None:
    with pytest.raises(NotCsvError, match="NUL bytes"):
        check("name,ville\n".encode("utf-16-le"))


def test_rejects_undecodable_byte_naming_its_offset() -> None:
    with pytest.raises(NotCsvError, match=r"byte 9 cannot be decoded.*'CSV UTF-8'"):
        check(b"id,name\n", b"\xff\n")


def test_rejects_latin1_naming_the_offending_byte() -> None:
    with pytest.raises(NotCsvError, match="byte 6 cannot be decoded"):
        check("id\nZo\u00eb\n".encode("latin-1"))


def test_undecodable_offset_counts_bytes_held_from_previous_chunk() -> None:
    # b"\xc3" (byte 4) starts a two-byte sequence that b"(" does not continue.
    with pytest.raises(NotCsvError, match="byte 4 cannot be decoded"):
        check(b"id\n\xc3", b"(\n")


def test_rejects_empty_file() -> None:
    with pytest.raises(NotCsvError, match=r"empty.*header row"):
        check()


def test_rejects_empty_chunks_as_empty_file() -> None:
    with pytest.raises(NotCsvError, match="empty"):
        check(b"", b"")


@pytest.mark.parametrize("first_line", [b"\n", b"  \r\n", codecs.BOM_UTF8 + b"\n"])
def test_rejects_blank_first_line(first_line: bytes) -> None:
    with pytest.raises(NotCsvError, match="no header row: the first line must name the columns"):
        check(first_line + b"user_username,user_organizationId\nalice,root\n")


@pytest.mark.parametrize(
    ("content", "lines"),
    [
        ("a,b\n1,2\n", 2),
        ("a,b\r\n1,2", 2),
        ('a,b\n"multi\nline",2\n\n', 4),
        ("a,b", 1),
    ],
)
def test_counts_physical_lines_as_the_importer_numbers_them(content: str, lines: int) -> None:
    for codec in ("utf-8", "utf-16"):
        checker = TextChecker()
        data = content.encode(codec)
        for start in range(0, len(data), 3):
            checker.feed(data[start : start + 3])
        checker.finish()
        assert checker.physical_lines == lines
