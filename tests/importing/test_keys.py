"""The duplicate-key index: a key repeated on a later line names the line that first had it."""

import random

import polars as pl
import pytest

from loadbay.importing.keys import KeyIndex


@pytest.mark.parametrize("max_run", [7, 1 << 21])
def test_repeats_name_the_first_line_across_batches_and_runs(max_run: int) -> None:
    index = KeyIndex(max_run=max_run)
    first: dict[str, int] = {}
    rng = random.Random(7)
    line = 2
    for _batch in range(40):
        keys: list[str | None] = [rng.choice([None, *(f"k{n}" for n in range(300))]) for _ in range(25)]
        lines = list(range(line, line + len(keys)))
        line += len(keys)
        expected: list[int | None] = []
        for key, at in zip(keys, lines, strict=True):
            if key is None:
                expected.append(None)
            elif key in first:
                expected.append(first[key])
            else:
                first[key] = at
                expected.append(None)
        found = index.first_lines(pl.Series(keys, dtype=pl.Utf8), pl.Series(lines)).to_list()
        assert found == expected
    assert len(index) == len(first)


def test_a_key_repeated_within_one_batch_names_its_lowest_line() -> None:
    index = KeyIndex()
    found = index.first_lines(pl.Series(["a", "b", "a", "a"]), pl.Series([9, 3, 5, 2]))
    assert found.to_list() == [2, None, 2, None]
