"""The per-row result file, and the password-free copy of the upload kept after processing."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

from loadbay.kit.cells import safe_cell
from loadbay.kit.storage import ObjectStorage

RESULT_COLUMNS = ["line", "outcome", "key", "messages"]


class _CsvSpool:
    """A CSV written to a temporary file, then stored in one put."""

    def __init__(self, *, delimiter: str = ",") -> None:
        self._file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in close()
            "w", encoding="utf-8", newline="", suffix=".csv", delete=False
        )
        self.path = Path(self._file.name)
        self._writer = csv.writer(self._file, delimiter=delimiter, lineterminator="\r\n")

    def writerow(self, row: list[str]) -> None:
        self._writer.writerow(row)

    def store(self, storage: ObjectStorage, key: str) -> None:
        self._file.close()
        storage.put_file(key, self.path)

    def close(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.close()


class ResultWriter(_CsvSpool):
    """line, outcome, key, messages, then the file's own columns except the secret ones."""

    def __init__(self, columns: list[str], *, secret: frozenset[str]) -> None:
        super().__init__()
        self._keep = [i for i, name in enumerate(columns) if name not in secret]
        self.writerow(RESULT_COLUMNS + [columns[i] for i in self._keep])

    def write(self, *, line: int, outcome: str, key: str, messages: list[str], cells: list[str]) -> None:
        kept = [cells[i] if i < len(cells) else "" for i in self._keep]
        self.writerow(
            [str(line), outcome, safe_cell(key), safe_cell(" | ".join(messages))]
            + [safe_cell(cell) for cell in kept]
        )


class RedactedCopy(_CsvSpool):
    """The upload as received, with every secret cell blanked (blank keeps the stored password)."""

    def __init__(self, header: list[str], *, secret_indexes: list[int], delimiter: str) -> None:
        super().__init__(delimiter=delimiter)
        self._secret = secret_indexes
        self.writerow(header)

    def write(self, cells: list[str]) -> None:
        if self._secret:
            cells = list(cells)
            for index in self._secret:
                if index < len(cells):
                    cells[index] = ""
        self.writerow(cells)
