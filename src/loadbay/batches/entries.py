"""GetImportEntries: a batch's entries (one per data row) read from the core's result file.

While the import runs, the entries are the result parts of the batches it has committed
(``import-csv/work/<id>/result/part-NNNNNN.csv``, no header); once it has finished, the
assembled result file. Both hold the cells as the import type's ``mask`` left them, so a card
number never reaches an entry. Nothing is stored twice: the result file is the only record.
"""

from __future__ import annotations

import polars as pl

from loadbay.importing.objects import result_part_key
from loadbay.importing.results import RESULT_COLUMNS
from loadbay.kit.storage import ObjectStorage
from loadbay.models import PENDING, ImportJob

STATUSES = {"created": "Created", "updated": "Updated", "unchanged": "Unchanged", "failed": "Failed"}


def _read(storage: ObjectStorage, key: str, *, header: bool, rows: int | None) -> pl.DataFrame:
    with storage.open(key) as source:
        data = source.read()
    if not data.strip():
        return pl.DataFrame(schema=dict.fromkeys(RESULT_COLUMNS, pl.Utf8))
    frame = pl.read_csv(data, has_header=header, infer_schema=False, n_rows=rows, quote_char='"')
    return frame.select(frame.columns[:4]).rename(dict(zip(frame.columns[:4], RESULT_COLUMNS, strict=True)))


def total_entries(storage: ObjectStorage, job: ImportJob) -> int:
    counted = job.created_count + job.updated_count + job.unchanged_count + job.failed_count
    if counted or job.status == PENDING or job.result_key is None:
        return counted
    # A file rejected as a whole counts no rows; its result file holds the one reason.
    return _read(storage, job.result_key, header=True, rows=None).height


def read_entries(
    storage: ObjectStorage, job: ImportJob, *, offset: int, limit: int
) -> list[dict[str, object]]:
    """Entries ``offset`` to ``offset + limit`` of the import, in file order.

    Raises StorageError when a part vanished because the import finished meanwhile; the
    caller reloads the import and reads the result file instead.
    """
    wanted = offset + limit
    if job.status != PENDING:
        if job.result_key is None:
            return []
        frame = _read(storage, job.result_key, header=True, rows=wanted)
    else:
        frames: list[pl.DataFrame] = []
        have = 0
        for number in range(1, job.checkpoint_batches + 1):
            part = _read(storage, result_part_key(job.id, number), header=False, rows=wanted - have)
            frames.append(part)
            have += part.height
            if have >= wanted:
                break
        frame = pl.concat(frames) if frames else pl.DataFrame(schema=dict.fromkeys(RESULT_COLUMNS, pl.Utf8))
    page = frame.slice(offset, limit)
    return [
        {
            "line": int(line),
            "status": STATUSES.get(outcome, outcome),
            "key": key or None,
            "error": messages or None,
        }
        for line, outcome, key, messages in page.iter_rows()
    ]
