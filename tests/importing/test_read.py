from __future__ import annotations

import codecs
import io

import pytest

from loadbay.importing.csvtext import FileRejected
from loadbay.importing.read import CsvFile, open_stored


def read(data: bytes) -> CsvFile:
    return open_stored(io.BytesIO(data))


def rows(
    data: bytes, *, batch_bytes: int = 1 << 20, batch_rows: int = 1000
) -> list[tuple[int, int, list[str]]]:
    stored = read(data)
    names = [f"c{i}" for i in range(len(stored.header.names))]
    found = []
    for batch in stored.batches(names, batch_bytes=batch_bytes, batch_rows=batch_rows):
        for first, last, cells in zip(batch.lines, batch.last_lines, batch.frame.rows(), strict=True):
            found.append((first, last, list(cells)))
    return found


@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8], ids=["no-bom", "bom"])
def test_reads_utf8(bom: bytes) -> None:
    data = bom + "user_username,user_name\nzoe,Zoë Besançon\n".encode()
    assert read(data).header.names == ["user_username", "user_name"]
    assert rows(data) == [(2, 2, ["zoe", "Zoë Besançon"])]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_reads_utf16_with_byte_order_mark(codec: str) -> None:
    data = "\ufeffuser_username,user_name\r\nzoe,Zoë\r\n".encode(codec)
    assert read(data).header.names == ["user_username", "user_name"]
    assert rows(data) == [(2, 2, ["zoe", "Zoë"])]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_detects_the_delimiter(delimiter: str) -> None:
    data = f"a{delimiter}b\nx{delimiter}y\n".encode()
    assert read(data).header.delimiter == delimiter
    assert read(data).header.names == ["a", "b"]
    assert rows(data) == [(2, 2, ["x", "y"])]


def test_semicolon_file_keeps_decimal_commas_in_cells() -> None:
    assert rows(b"name;score\nzoe;1,5\n") == [(2, 2, ["zoe", "1,5"])]


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_line_endings_are_not_part_of_cells(newline: str) -> None:
    assert rows(newline.join(["a,b", "1,2", "3,4", ""]).encode()) == [(2, 2, ["1", "2"]), (3, 3, ["3", "4"])]


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_quoted_newlines_span_physical_lines(newline: str) -> None:
    data = newline.join(["a,b", '1,"first', "second", 'third"', "2,x", ""])
    assert rows(data.encode()) == [(2, 4, ["1", f"first{newline}second{newline}third"]), (5, 5, ["2", "x"])]


def test_blank_lines_are_skipped_but_counted() -> None:
    assert rows(b"a,b\n\n1,2\n   \n,\n3,4\n\n") == [(3, 3, ["1", "2"]), (6, 6, ["3", "4"])]


def test_last_row_without_newline_is_read() -> None:
    assert rows(b"a,b\n1,2") == [(2, 2, ["1", "2"])]


def test_header_names_are_stripped_of_spaces_and_byte_order_marks() -> None:
    assert read(codecs.BOM_UTF8 + " \ufeffuser_username ,\tuser_name\n".encode()).header.names == [
        "user_username",
        "user_name",
    ]


def test_cells_keep_their_spaces_and_quotes_are_unescaped() -> None:
    assert rows(b'a,b\n 1 , x\n"say ""hi""",", y"\n') == [(2, 2, [" 1 ", " x"]), (3, 3, ['say "hi"', ", y"])]


def test_header_only_file_has_no_rows() -> None:
    assert rows(b"a,b\n") == []


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
        rows(b'a,b\n1,"x\n2,3\n')


def test_runaway_quoted_field_is_rejected_naming_its_line() -> None:
    data = b'a,b\n1,2\n3,"' + b"x" * (16 * 1024 * 1024 + 1) + b"\n"
    with pytest.raises(FileRejected, match=r"^Line 3: malformed CSV .*unclosed quote"):
        rows(data)


def test_undecodable_data_row_is_rejected_naming_its_line() -> None:
    with pytest.raises(FileRejected, match=r"^Line 3: .*cannot be decoded"):
        rows(b"a,b\n1,2\n3,na\xefve\n4,5\n")


def test_a_quote_inside_an_unquoted_cell_is_text() -> None:
    # What spreadsheets read: the native parser refuses it, the csv module takes it as written.
    assert rows(b'a,b\n1,12" ruler\n2,"x\ny"\n') == [(2, 2, ["1", '12" ruler']), (3, 4, ["2", "x\ny"])]


def test_ragged_rows_are_cut_or_padded_and_keep_their_field_count() -> None:
    stored = read(b"a,b,c\n1,2\n1,2,3,4\n1,2,3\n")
    batch = next(stored.batches(["a", "b", "c"], batch_bytes=1 << 20, batch_rows=10))
    assert batch.frame.rows() == [("1", "2", ""), ("1", "2", "3"), ("1", "2", "3")]
    assert batch.fields.to_list() == [2, 4, 3]


@pytest.mark.parametrize("batch_bytes", [7, 64, 1 << 20])
def test_records_spanning_blocks_keep_their_lines(batch_bytes: int) -> None:
    body = "".join(f'{i},"multi\nline {i}"\n' if i % 3 == 0 else f"{i},plain {i}\n" for i in range(50))
    found = rows(("a,b\n" + body).encode(), batch_bytes=batch_bytes, batch_rows=7)
    line = 2
    expected = []
    for i in range(50):
        if i % 3 == 0:
            expected.append((line, line + 1, [str(i), f"multi\nline {i}"]))
            line += 2
        else:
            expected.append((line, line, [str(i), f"plain {i}"]))
            line += 1
    assert found == expected


def test_a_block_is_cut_into_even_slices() -> None:
    # 10 rows in one block, at most 4 a slice: 4, 3 and 3, not 4, 4 and a slice of 2 that costs
    # a slice's fixed work for two rows. Lines and cells stay in order across the cuts.
    data = b"a,b\n" + b"".join(f"{i},x{i}\n".encode() for i in range(10))
    stored = read(data)
    batches = list(stored.batches(["a", "b"], batch_bytes=1 << 20, batch_rows=4, even=True))
    assert [batch.height for batch in batches] == [4, 3, 3]
    assert [line for batch in batches for line in batch.lines] == list(range(2, 12))
    assert [cell for batch in batches for cell in batch.frame["a"]] == [str(i) for i in range(10)]
    # Not asked for: slices of exactly batch_rows (a checkpoint every batch_rows rows).
    exact = read(data).batches(["a", "b"], batch_bytes=1 << 20, batch_rows=4)
    assert [batch.height for batch in exact] == [4, 4, 2]
