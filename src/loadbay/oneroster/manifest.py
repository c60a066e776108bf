"""The manifest.csv of a OneRoster 1.1 bundle: which files the zip holds, each bulk or delta.

The manifest has one ``file.<entity>`` property per file of the specification, ``bulk``,
``delta`` or ``absent`` (a file it leaves out counts as absent). Loadbay holds it to the zip's
entries both ways, so that what it imports is exactly what the manifest declares.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from loadbay.importing.bundle import BundleEntry, BundleFormat, BundleRefused, register_format
from loadbay.oneroster.common import BULK, BUNDLE, DELTA, type_name

MANIFEST = "manifest.csv"
ABSENT = "absent"
# The files Loadbay imports, in dependency order: a file's references point only to earlier files.
IMPORTED_FILES = (
    "orgs.csv",
    "academicSessions.csv",
    "courses.csv",
    "classes.csv",
    "users.csv",
    "enrollments.csv",
    "demographics.csv",
)
# The specification's other files (gradebook and resources): a bundle must declare them absent.
NOT_IMPORTED_FILES = (
    "categories.csv",
    "classResources.csv",
    "courseResources.csv",
    "resources.csv",
    "lineItems.csv",
    "results.csv",
)
FILES = IMPORTED_FILES + NOT_IMPORTED_FILES

_ENTITIES = {name.removesuffix(".csv").lower(): name.removesuffix(".csv") for name in FILES}
_VERSIONS = {"manifest.version": "1.0", "oneroster.version": "1.1"}


@dataclass(frozen=True)
class BundleFile:
    name: str  # "users.csv"
    entity: str  # "users"
    mode: str  # "bulk" | "delta"


class ManifestRefused(Exception):
    """The manifest is unusable or disagrees with the bundle; ``message`` says what to fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def read_manifest(content: bytes, *, entries: list[str]) -> list[BundleFile]:
    """The files to import, in dependency order, from manifest.csv and the zip's entry names.

    Raises ManifestRefused when the manifest is not a OneRoster 1.1 manifest, declares a file
    Loadbay does not import, or disagrees with ``entries`` (manifest.csv among them or not).
    """
    properties = _properties(content)
    for name, expected in _VERSIONS.items():
        if name not in properties:
            raise ManifestRefused(
                f"{MANIFEST} has no {name}; a OneRoster 1.1 manifest declares {name},{expected}."
            )
        written, value = properties[name]
        if value != expected:
            raise ManifestRefused(
                f"{MANIFEST} declares {written} {value or '(blank)'}; Loadbay imports OneRoster 1.1 "
                f"bundles, whose manifest declares {name},{expected}."
            )
    modes = _file_modes(properties)
    _check_entries(modes, entries)
    files = [
        BundleFile(name=name, entity=entity, mode=modes[entity])
        for name in IMPORTED_FILES
        if modes.get(entity := name.removesuffix(".csv"), ABSENT) != ABSENT
    ]
    if not files:
        raise ManifestRefused(
            f"{MANIFEST} declares no file as bulk or delta, so the bundle has nothing to import; "
            "declare each file it holds, for example file.users,bulk."
        )
    return files


def _properties(content: bytes) -> dict[str, tuple[str, str]]:
    """Each property by its lower-cased name: the name as written, and its value."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ManifestRefused(f"{MANIFEST} is not UTF-8 text; save it as 'CSV UTF-8'.") from exc
    rows = csv.reader(io.StringIO(text, newline=""), strict=True)
    properties: dict[str, tuple[str, str]] = {}
    header_seen = False
    try:
        for row in rows:
            cells = [cell.strip() for cell in row]
            # Spreadsheets pad rows with empty cells; a row of nothing is a blank line.
            while cells and not cells[-1]:
                cells.pop()
            if not cells:
                continue
            if not header_seen:
                if [cell.lower() for cell in cells] != ["propertyname", "value"]:
                    raise ManifestRefused(f"{MANIFEST} must start with the header row propertyName,value.")
                header_seen = True
                continue
            if len(cells) > 2:
                raise ManifestRefused(
                    f"Line {rows.line_num} of {MANIFEST} has {len(cells)} cells; each line is "
                    "one property and its value, such as file.users,bulk."
                )
            name, value = cells[0], cells[1] if len(cells) == 2 else ""
            if name.lower() in properties:
                raise ManifestRefused(f"{MANIFEST} declares {name} twice; keep one line for it.")
            properties[name.lower()] = (name, value)
    except csv.Error as exc:
        raise ManifestRefused(f"Line {rows.line_num} of {MANIFEST} is not valid CSV: {exc}.") from exc
    if not header_seen:
        raise ManifestRefused(f"{MANIFEST} is empty; it must start with the header row propertyName,value.")
    return properties


def _file_modes(properties: dict[str, tuple[str, str]]) -> dict[str, str]:
    """The mode of each file the manifest names, by entity as the specification spells it."""
    modes: dict[str, str] = {}
    for key, (written, value) in properties.items():
        if not key.startswith("file."):
            continue  # source.systemName, source.systemCode and the versions
        entity = _ENTITIES.get(key.removeprefix("file."))
        if entity is None:
            raise ManifestRefused(
                f"{MANIFEST} declares {written}, which is not a file of OneRoster 1.1; remove that line."
            )
        mode = value.lower()
        if mode not in (BULK, DELTA, ABSENT):
            raise ManifestRefused(
                f"{MANIFEST} declares {written} as {value or '(blank)'}; it must be bulk, delta or absent."
            )
        if mode != ABSENT and f"{entity}.csv" in NOT_IMPORTED_FILES:
            raise ManifestRefused(
                f"{MANIFEST} declares file.{entity} as {mode}, but Loadbay does not import {entity}.csv; "
                f"declare file.{entity} as absent and leave the file out of the bundle."
            )
        modes[entity] = mode
    return modes


def _check_entries(modes: dict[str, str], entries: list[str]) -> None:
    for entry in entries:
        if entry == MANIFEST:
            continue
        if entry not in FILES:
            spelled = {name.lower(): name for name in FILES}.get(entry.lower())
            if spelled:
                raise ManifestRefused(
                    f"{entry} is in the bundle, but OneRoster names that file {spelled}; rename it."
                )
            raise ManifestRefused(
                f"{entry} is in the bundle but is not a file of OneRoster 1.1; leave it out."
            )
        entity = entry.removesuffix(".csv")
        if entry in NOT_IMPORTED_FILES:
            raise ManifestRefused(
                f"Loadbay does not import {entry}; leave it out of the bundle and declare file.{entity} "
                f"as absent in {MANIFEST}."
            )
        if entity not in modes:
            raise ManifestRefused(
                f"{entry} is in the bundle but {MANIFEST} does not declare file.{entity}; add "
                f"file.{entity},bulk (or delta) to it, or leave the file out."
            )
        if modes[entity] == ABSENT:
            raise ManifestRefused(
                f"{entry} is in the bundle but {MANIFEST} declares file.{entity} as absent; "
                "declare it bulk or delta, or leave the file out."
            )
    for name in IMPORTED_FILES:
        entity = name.removesuffix(".csv")
        mode = modes.get(entity, ABSENT)
        if mode != ABSENT and name not in entries:
            raise ManifestRefused(
                f"{MANIFEST} declares file.{entity} as {mode} but the bundle has no {name}."
            )


def bundle_entries(content: bytes, names: list[str]) -> list[BundleEntry]:
    """The manifest read as the engine takes it: each file with its import type and mode."""
    try:
        files = read_manifest(content, entries=names)
    except ManifestRefused as exc:
        raise BundleRefused(exc.message) from None
    return [BundleEntry(f.name, type_name(f.entity), f.mode) for f in files]


ONEROSTER = register_format(BundleFormat(name=BUNDLE, manifest=MANIFEST, read=bundle_entries))
