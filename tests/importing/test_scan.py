"""Where records end, how many physical lines and fields each has, from the raw bytes."""

from __future__ import annotations

import csv
import io
import random

from loadbay.importing.scan import scan_records


def test_plain_records_end_at_each_newline() -> None:
    records = scan_records(b"a,b,c\nd,e,f\n", delimiter=",")

    assert records.ends.tolist() == [5, 11]
    assert records.first_line_offsets.tolist() == [0, 1]
    assert records.line_counts.tolist() == [1, 1]
    assert records.fields.tolist() == [3, 3]
    assert records.lengths.tolist() == [5, 5]
    assert records.end == 12


def test_a_quoted_newline_and_delimiter_stay_inside_their_cell() -> None:
    data = b'1,"two\nlines, and a comma",x\n2,"say ""hi""",y\n3,z\n'
    records = scan_records(data, delimiter=",")

    # The first record spans two physical lines; the next ones start on lines 3 and 4.
    assert records.first_line_offsets.tolist() == [0, 2, 3]
    assert records.line_counts.tolist() == [2, 1, 1]
    assert records.fields.tolist() == [3, 3, 2]
    assert records.count == 3


def test_a_tail_without_its_newline_is_not_a_record_yet() -> None:
    records = scan_records(b'a,b\nc,"open\nstill open', delimiter=",")

    assert records.count == 1
    assert records.end == 4


def test_the_delimiter_is_the_files_own() -> None:
    records = scan_records(b"a;b,c;d\ne;f\n", delimiter=";")

    assert records.fields.tolist() == [3, 2]


def test_an_empty_buffer_has_no_records() -> None:
    records = scan_records(b"", delimiter=",")

    assert records.count == 0
    assert records.end == 0


def test_it_agrees_with_the_csv_module_on_random_rfc_4180_files() -> None:
    # Cells with delimiters, quotes, CR and LF, written by the csv module: the scan must find
    # the same records, fields and physical lines as reading them back does.
    rng = random.Random(4180)
    alphabet = ["a", "7", " ", ",", '"', "\n", "\r\n", "é"]
    for _ in range(300):
        rows = [
            [
                "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
                for _ in range(rng.randint(1, 4))
            ]
            for _ in range(rng.randint(1, 8))
        ]
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        data = out.getvalue().encode()
        records = scan_records(data, delimiter=",")

        read = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
        assert records.count == len(read) == len(rows)
        assert records.fields.tolist() == [len(row) for row in read]
        assert int(records.line_counts.sum()) == data.count(b"\n")
        assert records.end == len(data)
