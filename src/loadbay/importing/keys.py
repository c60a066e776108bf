"""The keys an import has seen so far, to report a key repeated on a later line.

Kept as 64-bit hashes with the line that first had each key, in a few sorted runs merged as
they grow (a log-structured index, runs capped at two million keys so a merge never copies
more): a batch is checked with one binary search per run, and 5 million keys take 60 MB where
a dict of strings would take ten times that. Two different
keys sharing a hash would be reported as a repeat; for n keys that happens with probability
about n² / 2⁶⁵ (7 in 10 million for a 5-million-row file).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

_SEED = 0x4C6F6164
# The longest run a merge makes (12 bytes a key): past it, runs stay apart and are searched apart.
_MAX_RUN = 1 << 21


def key_hashes(keys: pl.Series) -> pl.Series:
    return keys.hash(seed=_SEED).alias("hash")


class KeyIndex:
    def __init__(self, *, max_run: int = _MAX_RUN) -> None:
        self._max_run = max_run
        # Each run sorted by hash, and at least twice the size of the next one.
        self._runs: list[tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint32]]] = []

    def __len__(self) -> int:
        return sum(len(hashes) for hashes, _lines in self._runs)

    def first_lines(self, keys: pl.Series, lines: pl.Series) -> pl.Series:
        """For each of ``keys`` (null: the row has no key) the earlier line with the same key,
        null when there is none; then remember the keys seen for the first time."""
        valid = keys.is_not_null().to_numpy()
        hashes = key_hashes(keys).to_numpy()
        line_numbers = lines.cast(pl.Int64).to_numpy()
        earlier = np.zeros(len(hashes), dtype=np.int64)
        # Searched in hash order: the binary searches then walk each run front to back, from
        # cache, instead of jumping about a run of millions.
        by_hash = np.argsort(hashes)
        sorted_hashes = hashes[by_hash]
        for stored, stored_lines in self._runs:
            at = np.minimum(np.searchsorted(stored, sorted_hashes), len(stored) - 1)
            hit = stored[at] == sorted_hashes
            rows = by_hash[hit]
            found = stored_lines[at[hit]]
            unset = earlier[rows] == 0
            earlier[rows[unset]] = found[unset]
        earlier[~valid] = 0
        # Within the batch, in hash order: a repeat names the first (lowest) line of its key.
        fresh = (valid & (earlier == 0))[by_hash]
        rows = by_hash[fresh]
        fresh_hashes = sorted_hashes[fresh]
        fresh_lines = line_numbers[rows]
        starts = np.ones(len(rows), dtype=bool)
        starts[1:] = fresh_hashes[1:] != fresh_hashes[:-1]
        group_first = np.minimum.reduceat(fresh_lines, np.flatnonzero(starts)) if len(rows) else fresh_lines
        firsts = group_first[np.cumsum(starts) - 1]
        within = np.zeros(len(hashes), dtype=np.int64)
        repeats = fresh_lines != firsts
        within[rows[repeats]] = firsts[repeats]
        first = np.where(earlier > 0, earlier, within)
        self._add(fresh_hashes[starts], group_first.astype(np.uint32))
        return pl.Series("first_line", first, dtype=pl.Int64).replace(0, None)

    def _add(self, hashes: npt.NDArray[np.uint64], lines: npt.NDArray[np.uint32]) -> None:
        """Add keys sorted by hash as a run, merging it into the smaller runs before it. A merge
        stops at ``max_run`` keys, so no merge ever holds more than two such runs at once.

        A merge is a stable argsort of the two runs end to end: numpy's stable sort is a timsort,
        which finds the two sorted runs and merges them in one linear pass. Inserting the new
        keys where a binary search puts them (``np.insert``) took 2-3 times as long for runs of
        similar size, the merges this index makes (docs/engine.md)."""
        if not len(hashes):
            return
        while (
            self._runs
            and len(self._runs[-1][0]) <= len(hashes) * 2
            and len(self._runs[-1][0]) + len(hashes) <= self._max_run
        ):
            stored, stored_lines = self._runs.pop()
            both = np.concatenate((stored, hashes))
            order = np.argsort(both, kind="stable")
            hashes, lines = both[order], np.concatenate((stored_lines, lines))[order]
        self._runs.append((hashes, lines))
