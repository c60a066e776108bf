"""A bundle's two zips: its result (each file's result CSV, from the parts its pass stored) and
its kept copy (each file as it came, its secret columns blanked)."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from loadbay.importing import results
from loadbay.importing.bundle import DONE, PENDING, FileProgress
from loadbay.importing.failed_copy import store_failed_copy
from loadbay.importing.objects import RESULT_PARTS, result_key, stored_key, work_prefix
from loadbay.importing.registry import get_type
from loadbay.importing.results import RedactedCopy, ResultWriter
from loadbay.importing.shape import Shape
from loadbay.kit.storage import ObjectStorage
from loadbay.models import FAILED as STATUS_FAILED
from loadbay.models import ImportMessage


def result_writer(storage: ObjectStorage, job_id: str, shape: Shape) -> ResultWriter:
    """A file's result parts (each file has its own columns)."""
    return results.result_writer(
        storage, work_prefix(job_id, f"{RESULT_PARTS}/{shape.import_type.name}"), shape
    )


def redacted_writer(storage: ObjectStorage, job_id: str, shape: Shape) -> RedactedCopy | None:
    """A file's parts of the kept copy; None when it has nothing secret."""
    return results.redacted_copy(storage, work_prefix(job_id, f"copy/{shape.import_type.name}"), shape)


@dataclass
class BundleZips:
    storage: ObjectStorage
    job_id: str
    scope: str
    files: list[FileProgress]
    shapes: dict[str, Shape]
    # Each unpacked file's key in the store (empty when the bundle was never unpacked).
    keys: dict[str, str]

    def result(self, *, parts: int, status: str, notice: ImportMessage | None) -> str:
        """Each file's result CSV (its rows so far), zipped at the result's key."""
        result = result_key(self.job_id, "zip")
        with tempfile.NamedTemporaryFile(suffix=".zip") as spool:
            with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
                for f in self.files:
                    if f.name not in self.shapes or f.status == PENDING:
                        continue
                    last = f.last_part if f.status == DONE else parts
                    with archive.open(f.name.removesuffix(".csv") + "-result.csv", "w") as out:
                        writer = result_writer(self.storage, self.job_id, self.shapes[f.name])
                        writer.write_to(out, first=f.first_part + 1, last=last)
                if notice is not None and status == STATUS_FAILED and notice.code != "aborted":
                    archive.writestr("bundle-messages.txt", notice.message + "\r\n")
            spool.flush()
            self.storage.put_file(result, Path(spool.name))
        return result

    def kept(self, state: str) -> str | None:
        """The bundle's files, secrets blanked, zipped at the kept copy's key; None when it was
        never unpacked (a zip refused while inflating is not kept: it may be a bomb)."""
        if not self.keys:
            return None
        final = stored_key(self.job_id, state, "zip")
        with tempfile.NamedTemporaryFile(suffix=".zip") as spool:
            with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
                for f in self.files:
                    with archive.open(f.name, "w") as out:
                        self._keep(f, out, processed=state == "processed")
            spool.flush()
            self.storage.put_file(final, Path(spool.name))
        return final

    def _keep(self, f: FileProgress, out: IO[bytes], *, processed: bool) -> None:
        """One file of the kept copy: as it came when it has nothing secret; else from the copy's
        parts its passes wrote (read by the native reader), or, for a file an ending cut short,
        read again to its first defect with its secret columns blanked."""
        shape = self.shapes.get(f.name)
        redacted = redacted_writer(self.storage, self.job_id, shape) if shape is not None else None
        if shape is not None and redacted is None:
            with self.storage.open(self.keys[f.name]) as source:
                shutil.copyfileobj(source, out, 1024 * 1024)
            return
        if redacted is not None and processed and f.status == DONE:
            redacted.write_to(out, first=f.first_part + 1, last=f.last_part)
            return
        copy = work_prefix(self.job_id, f"kept/{f.name}")
        store_failed_copy(
            self.storage,
            source_key=self.keys[f.name],
            final_key=copy,
            work_prefix=work_prefix(self.job_id, f"kept-parts/{f.name}"),
            import_type=get_type(f.import_type, bundle=f.import_type.split(".", 1)[0]),
            scope=self.scope,
        )
        with self.storage.open(copy) as source:
            shutil.copyfileobj(source, out, 1024 * 1024)
