from __future__ import annotations

import codecs
import io

import pytest

from loadbay.importing.reader import CsvStream, FileRejected, open_csv


def read(data: bytes) -> CsvStream:
    return open_csv(io.BufferedReader(io.BytesIO(data)))


def lines(stream: CsvStream) -> list[tuple[int, int, list[str]]]:
    return [(row.first_line, row.last_line, row.cells) for row in stream.rows]


@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8], ids=["no-bom", "bom"])
def test_reads_utf8(bom: bytes) -> None:
    stream = read(bom + "user_username,user_name\nzoe,Zoë Besançon\n".encode())
    assert stream.header == ["user_username", "user_name"]
    assert lines(stream) == [(2, 2, ["zoe", "Zoë Besançon"])]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_reads_utf16_with_byte_order_mark(codec: str) -> None:
    stream = read("\ufeffuser_username,user_name\r\nzoe,Zoë\r\n".encode(codec))
    assert stream.header == ["user_username", "user_name"]
    assert lines(stream) == [(2, 2, ["zoe", "Zoë"])]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_detects_the_delimiter(delimiter: str) -> None:
    stream = read(f"a{delimiter}b\nx{delimiter}y\n".encode())
    assert stream.delimiter == delimiter
    assert stream.header == ["a", "b"]
    assert lines(stream) == [(2, 2, ["x", "y"])]


def test_semicolon_file_keeps_decimal_commas_in_cells() -> None:
    stream = read(b"name;score\nzoe;1,5\n")
    assert lines(stream) == [(2, 2, ["zoe", "1,5"])]


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_line_endings_are_not_part_of_cells(newline: str) -> None:
    stream = read(newline.join(["a,b", "1,2", "3,4", ""]).encode())
    assert lines(stream) == [(2, 2, ["1", "2"]), (3, 3, ["3", "4"])]


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_quoted_newlines_span_physical_lines(newline: str) -> None:
    data = newline.join(["a,b", '1,"first', "second", 'third"', "2,x", ""])
    stream = read(data.encode())
    assert lines(stream) == [
        (2, 4, ["1", f"first{newline}second{newline}third"]),
        (5, 5, ["2", "x"]),
    ]


def test_blank_lines_are_skipped_but_counted() -> None:
    stream = read(b"a,b\n\n1,2\n   \n,\n3,4\n\n")
    assert lines(stream) == [(3, 3, ["1", "2"]), (6, 6, ["3", "4"])]


def test_last_row_without_newline_is_read() -> None:
    assert lines(read(b"a,b\n1,2")) == [(2, 2, ["1", "2"])]


def test_header_names_are_stripped_of_spaces_and_byte_order_marks() -> None:
    # A BOM left after the one the codec consumes (files concatenated by hand) is dropped too.
    stream = read(codecs.BOM_UTF8 + " \ufeffuser_username ,\tuser_name\n".encode())
    assert stream.header == ["user_username", "user_name"]


def test_cells_keep_their_spaces() -> None:
    assert lines(read(b"a,b\n 1 , x\n")) == [(2, 2, [" 1 ", " x"])]


def test_header_only_file_has_no_rows() -> None:
    assert lines(read(b"a,b\n")) == []


@pytest.mark.parametrize("data", [b"", codecs.BOM_UTF8], ids=["empty", "bom-only"])
def test_empty_file_is_rejected_on_line_1(data: bytes) -> None:
    with pytest.raises(FileRejected, match=r"^Line 1: .*header row"):
        read(data)


@pytest.mark.parametrize("data", [b"\na,b\n1,2\n", b" , \n1,2\n", b",,\n"])
def test_blank_header_is_rejected_on_line_1(data: bytes) -> None:
    with pytest.raises(FileRejected, match=r"^Line 1: the header row is blank"):
        read(data)


def test_undecodable_header_is_rejected_on_line_1() -> None:
    with pytest.raises(FileRejected, match=r"^Line 1: .*'CSV UTF-8'"):
        read(b"na\xefve,b\n1,2\n")


def test_unclosed_quote_is_rejected_naming_its_line() -> None:
    # Read leniently, the quote would swallow line 3 into a cell of line 2 without a word.
    with pytest.raises(FileRejected, match=r"^Line 2: .*unclosed quote"):
        lines(read(b'a,b\n1,"x\n2,3\n'))


def test_runaway_quoted_field_is_rejected_naming_its_line() -> None:
    data = b'a,b\n1,2\n3,"' + b"x" * (16 * 1024 * 1024 + 1) + b"\n"
    with pytest.raises(FileRejected, match=r"^Line 3: malformed CSV .*unclosed quote"):
        lines(read(data))


def test_undecodable_data_row_is_rejected_naming_its_line() -> None:
    with pytest.raises(FileRejected, match=r"^Line 3: .*cannot be decoded"):
        lines(read(b"a,b\n1,2\n3,na\xefve\n4,5\n"))
