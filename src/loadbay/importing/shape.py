"""What the header of a stored file tells: its import type, canonical column names, its secrets.

Bounded on purpose: a header of tens of thousands of columns would make every later stage
do work in proportion, so past ``LOADBAY_MAX_COLUMNS`` columns (or ``LOADBAY_MAX_METADATA_KEYS``
metadata columns) the file is refused on line 1.
"""

from __future__ import annotations

from dataclasses import dataclass

from loadbay.config import Settings
from loadbay.importing.csvtext import FileRejected
from loadbay.importing.read import Header
from loadbay.importing.registry import ImportType, describe_types, detect, get_type, mismatch


@dataclass(frozen=True)
class Shape:
    import_type: ImportType
    # The file's columns under their declared spelling, in file order.
    header: list[str]
    header_as_written: list[str]
    delimiter: str
    secret_indexes: list[int]

    @property
    def present(self) -> frozenset[str]:
        return frozenset(self.header)


def file_shape(
    header: Header, *, settings: Settings, scope: str, forced: str | None, bundle: str | None = None
) -> Shape:
    """The import type the header fits (``forced`` when the upload named one, or a ``bundle``'s
    manifest did); FileRejected if none."""
    names = header.names
    if len(names) > settings.max_columns:
        raise FileRejected(
            f"the header has {len(names)} columns; at most {settings.max_columns} are allowed.",
            code="too_many_columns",
        )
    if forced:
        import_type = get_type(forced, bundle=bundle)
        if import_type is None:
            raise FileRejected(f"unknown import type {forced!r}.", code="header_mismatch")
        problems = import_type.header_problems(names)
        if problems:
            raise FileRejected(
                f"the header does not fit {import_type.name}: {'; '.join(problems)}. "
                f"Expected: {describe_types(names=[import_type.name], bundle=bundle)}",
                code="header_mismatch",
            )
    else:
        detected = detect(names, scope=scope)
        if detected is None:
            raise FileRejected(
                f"the header matches no import template: {mismatch(names, scope=scope)}. "
                f"Columns found: {', '.join(names)}. Templates (* = mandatory, "
                f"+ = mandatory when the row creates a record): {describe_types(scope=scope)}",
                code="unknown_template",
            )
        import_type = detected
    canonical = [import_type.canonical(name) or name for name in names]
    duplicates = sorted({name for name in canonical if canonical.count(name) > 1})
    if duplicates:
        raise FileRejected(
            f"column(s) {', '.join(duplicates)} appear more than once in the header.", code="duplicate_column"
        )
    prefix = import_type.extra_prefix
    extras = sum(1 for name in canonical if prefix and name.startswith(prefix))
    if extras > settings.max_metadata_keys:
        raise FileRejected(
            f"the header has {extras} {prefix}<KEY> columns; "
            f"at most {settings.max_metadata_keys} are allowed.",
            code="too_many_metadata",
        )
    return Shape(
        import_type=import_type,
        header=canonical,
        header_as_written=names,
        delimiter=header.delimiter,
        secret_indexes=[i for i, name in enumerate(canonical) if name in import_type.secret_columns],
    )
