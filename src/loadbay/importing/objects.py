"""Where an import's files live in object storage: one spelling for every part of Loadbay."""

from __future__ import annotations

# A running import's files (result parts, redacted copies), deleted once it has finished.
WORK_ROOT = "import-csv/work/"
RESULT_PARTS = "result"


def result_key(import_id: str, extension: str = "csv") -> str:
    """The result file: a CSV, or for a bundle a zip of its files' result CSVs."""
    return f"import-csv/results/{import_id}.{extension}"


def stored_prefix(state: str) -> str:
    return f"import-csv/{state}/"


def stored_key(import_id: str, state: str, extension: str = "csv") -> str:
    """Where the upload lives: ``pending`` until imported, then ``processed`` or ``failed``
    (a bundle's kept copy is a zip)."""
    return f"{stored_prefix(state)}{import_id}.{extension}"


def work_prefix(import_id: str, what: str = "") -> str:
    """The import's work folder, or its ``what`` subfolder."""
    return f"{WORK_ROOT}{import_id}/{what}"


def part_key(prefix: str, number: int) -> str:
    """Part ``number`` of the writer that stores its parts under ``prefix``."""
    return f"{prefix}/part-{number:06d}.csv"


def result_part_key(import_id: str, number: int) -> str:
    """Part ``number`` of a running import's result: its rows of that batch, no header."""
    return part_key(work_prefix(import_id, RESULT_PARTS), number)
