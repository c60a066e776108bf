"""The copy of a failed import's upload that Loadbay keeps: never a clear password or card number."""

from __future__ import annotations

from contextlib import suppress

from loadbay.importing.csvtext import FileRejected
from loadbay.importing.read import open_stored
from loadbay.importing.registry import ImportType, detect
from loadbay.importing.results import RedactedCopy
from loadbay.kit.storage import ObjectStorage


def store_failed_copy(
    storage: ObjectStorage,
    *,
    source_key: str,
    final_key: str,
    work_prefix: str,
    import_type: ImportType | None,
    scope: str,
) -> None:
    """Keep a rejected upload at ``final_key``, blanking any column whose name says it holds a
    password, and masking what ``import_type`` (or the type its header fits) masks."""
    with storage.open(source_key) as source:
        try:
            stored = open_stored(source)
        except FileRejected:
            storage.copy(source_key, final_key)
            return
        header = stored.header
        secret = [i for i, name in enumerate(header.names) if "password" in name.lower()]
        # A type that masks cells (card numbers) masks them in this copy too.
        known = import_type or detect(header.names, scope=scope)
        mask = known.mask if known else None
        if not (secret or mask):
            storage.copy(source_key, final_key)
            return
        copy = RedactedCopy(
            storage,
            prefix=work_prefix,
            header=header.names,
            secret_indexes=secret,
            delimiter=header.delimiter,
        )
        # Positional names: the header of a rejected file may repeat a name.
        names = [f"_{i}" for i in range(len(header.names))]
        # Rows past a line the reader cannot parse are dropped rather than kept unredacted.
        with suppress(FileRejected):
            for batch in stored.rows_to_the_defect(names):
                copy.write_batch(mask(batch.frame) if mask is not None else batch.frame)
        copy.flush(1)
        copy.assemble(parts=1, key=final_key)
