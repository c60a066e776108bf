"""The import-type registry: each type is declared once and read by every part of Loadbay."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from loadbay.importing.columns import Column, Required

if TYPE_CHECKING:
    from loadbay.importing.batch import BatchContext, Planned
    from loadbay.importing.bulk import Step
    from loadbay.importing.tables import Table
    from loadbay.models import Base


# Given the batch's valid rows (with ``_row``, their index in the batch), plans their writes.
Writer = Callable[["BatchContext", "pl.DataFrame"], "Planned"]


@dataclass(frozen=True)
class SyncRule:
    """What ``mode=sync`` does to the tenant's rows of a type that a full file left out.

    ``model``'s unique key, after its tenant column, is the type's ``key_columns`` in order.
    """

    model: type[Base]
    # True: set active = false (users, groups, organizations); False: delete the rows (links).
    deactivate: bool
    # The rows, as a person counts them ("users", "group links").
    noun: str
    # Keys a sync never touches (the built-in root organization).
    keep: tuple[str, ...] = ()
    # Another unique key of ``model`` than its first, that the type's key columns name (a
    # OneRoster user's sourcedId rather than its username).
    key: tuple[str, ...] | None = None

    @property
    def table(self) -> Table:
        from loadbay.importing.tables import table_of

        table = table_of(self.model)
        return table if self.key is None else table.keyed_by(self.key)


@dataclass(frozen=True)
class ImportType:
    """Name, columns, natural key and writer of one kind of CSV file."""

    name: str
    description: str
    columns: tuple[Column, ...]
    # The natural key: one column, or several (a link's user, group and role).
    key_columns: tuple[str, ...]
    writer: Writer
    # Columns named ``<prefix><KEY>`` are free-form extras (e.g. ``user_metadata_``).
    extra_prefix: str | None = None
    scope: str = "rostering"
    # Applied to a batch's cells before they are echoed anywhere (result file, stored copy):
    # e.g. masking what looks like a card number. The writer still sees the cells as sent.
    mask: Callable[[pl.DataFrame], pl.DataFrame] | None = None
    # mode=sync: the rows a full file of this type owns; None when the type cannot sync.
    sync: SyncRule | None = None
    # The bundle format this type is a file of ("oneroster"): the bundle's manifest names it, so
    # it is never detected from a header alone nor named by importType. None: a file on its own.
    bundle: str | None = None
    # Given the file's columns, an expression true on the rows that only take their record away
    # (a OneRoster delta's tobedeleted rows); of the column checks, only those of
    # ``removal_columns`` apply to such rows: their other cells are not needed.
    removal: Callable[[frozenset[str]], pl.Expr | None] | None = field(default=None, compare=False)
    removal_columns: tuple[str, ...] = ()
    # Statements (given the dialect and the tenant) run once a file of this type has updated
    # rows, in the transaction that records the file done: a OneRoster users file's renamed
    # users carry their new username into their memberships.
    after_updates: Callable[[str, int], list[Step]] | None = field(default=None, compare=False)
    _by_lower: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_lower", {c.name.lower(): c.name for c in self.columns})

    @property
    def key_label(self) -> str:
        return ", ".join(self.key_columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required is Required.ALWAYS)

    @property
    def secret_columns(self) -> frozenset[str]:
        return frozenset(c.name for c in self.columns if c.secret)

    def canonical(self, header_name: str) -> str | None:
        """The declared spelling of a header cell (any casing), or None if it is not ours."""
        lowered = header_name.lower()
        if lowered in self._by_lower:
            return self._by_lower[lowered]
        prefix = self.extra_prefix
        if prefix and lowered.startswith(prefix.lower()) and len(lowered) > len(prefix):
            return prefix + header_name[len(prefix) :]
        return None

    def matches(self, header: list[str]) -> bool:
        """Every header cell is one of this type's columns and its key (every ``ALWAYS`` column)
        is there: any subset of the other columns is a valid file, for an update above all."""
        return not self.header_problems(header)

    def header_problems(self, header: list[str]) -> list[str]:
        """Why ``header`` does not fit this type: columns of other templates (named with them),
        unknown columns, missing mandatory ones."""
        canonical = [self.canonical(name) for name in header]
        unknown = [name for name, known in zip(header, canonical, strict=True) if known is None]
        missing = [name for name in self.required_columns if name not in canonical]
        problems = []
        strangers = []
        for name in unknown:
            if owners := owners_of(name, scope=self.scope):
                problems.append(f"{name} is a column of {', '.join(owners)}, not of {self.name}")
            else:
                strangers.append(name)
        if strangers:
            problems.append(f"unknown column(s) {', '.join(strangers)}")
        if missing:
            problems.append(f"missing mandatory column(s) {', '.join(missing)}")
        elif keyless := self.keyless_problem(canonical):
            problems.append(keyless)
        return problems

    def keyless_problem(self, canonical: list[str | None]) -> str | None:
        """For a key that may be left out (generated): without it every row creates a record, so
        the header must have what a new record needs. None when it does (or has the key)."""
        if all(key in canonical for key in self.key_columns):
            return None
        on_create = [name for name in self.on_create_columns if name not in canonical]
        if not on_create:
            return None
        return (
            f"missing column(s) {', '.join(on_create)}: without {self.key_label} every row "
            "creates a record, and a new record needs them"
        )

    @property
    def on_create_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required is Required.ON_CREATE)

    def template_header(self) -> list[str]:
        return [c.name for c in self.columns]


_REGISTRY: dict[str, ImportType] = {}


def register(import_type: ImportType) -> ImportType:
    if import_type.name in _REGISTRY and _REGISTRY[import_type.name] is not import_type:
        raise ValueError(f"import type {import_type.name!r} is registered twice")
    _REGISTRY[import_type.name] = import_type
    return import_type


def all_types(*, scope: str | None = None, bundle: str | None = None) -> list[ImportType]:
    """The types of ``scope`` (all scopes: None) that are files on their own, or with ``bundle``
    the files of that bundle format."""
    return [t for t in _REGISTRY.values() if (scope is None or t.scope == scope) and t.bundle == bundle]


def bundle_types() -> list[ImportType]:
    """The types that are files of a bundle (OneRoster's), in the order they registered."""
    return [t for t in _REGISTRY.values() if t.bundle is not None]


def get_type(name: str, *, bundle: str | None = None) -> ImportType | None:
    """The type named ``name`` among files on their own (or the files of ``bundle``)."""
    found = _REGISTRY.get(name)
    return found if found is not None and found.bundle == bundle else None


def owners_of(name: str, *, scope: str | None = None) -> list[str]:
    """The types that have a column ``name`` (any casing)."""
    return [t.name for t in all_types(scope=scope) if t.canonical(name) is not None]


def detect(header: list[str], *, scope: str | None = None) -> ImportType | None:
    """The type whose columns fit the header (by the columns present, as TAO detects them).

    When several fit, the one whose key takes most columns (a link's three over a user's one),
    then the narrowest: ``user_username,group_name,group_role`` links existing users, and only a
    user column beside them makes it ``link-new-user-to-groups``.
    """
    candidates = [t for t in all_types(scope=scope) if t.matches(header)]
    if not candidates:
        return None
    return max(candidates, key=lambda t: (len(t.required_columns), -len(t.columns)))


def closest_type(header: list[str], *, scope: str | None = None) -> ImportType:
    """The type that knows most of the header's columns (then the one missing the fewest
    mandatory ones, then the narrowest): the one a file that fits none meant. A header with no
    known column gets the first type."""

    def fit(t: ImportType) -> tuple[int, int, int]:
        known = sum(t.canonical(name) is not None for name in header)
        if not known:
            return (0, 0, 0)
        return (known, -sum(name not in header for name in t.required_columns), -len(t.columns))

    return max(all_types(scope=scope), key=fit)


def mismatch(header: list[str], *, scope: str | None = None) -> str:
    """Why a header fits no type, in one sentence: the columns of another template it mixes in,
    the columns no template has, the key it lacks."""
    closest = closest_type(header, scope=scope)
    if not any(closest.canonical(name) is not None for name in header):
        return "none of its columns belongs to a template"
    parts = []
    for name in header:
        if closest.canonical(name) is not None:
            continue
        owners = owners_of(name, scope=scope)
        parts.append(
            f"{name} is a column of {', '.join(owners)}, not of {closest.name}"
            if owners
            else f"{name} is not a column of {closest.name} (nor of any template)"
        )
    canonical = [closest.canonical(name) for name in header]
    missing = [name for name in closest.required_columns if name not in canonical]
    if missing:
        parts.append(f"{closest.name} needs its key column(s) {', '.join(missing)}")
    elif keyless := closest.keyless_problem(canonical):
        parts.append(keyless)
    return f"it is closest to {closest.name}, but " + "; ".join(parts) if parts else closest.name


def describe_types(
    *, scope: str | None = None, names: list[str] | None = None, bundle: str | None = None
) -> str:
    """Templates with their columns (* = mandatory in every row, + = mandatory when a row creates a
    record), for the message of a file that fits none."""
    return "; ".join(
        f"{t.name}: {', '.join(c.name + c.mandatory_label for c in t.columns)}"
        + (f", {t.extra_prefix}<KEY>" if t.extra_prefix else "")
        for t in all_types(scope=scope, bundle=bundle)
        if names is None or t.name in names
    )
