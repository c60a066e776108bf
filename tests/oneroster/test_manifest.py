"""manifest.csv of a OneRoster 1.1 bundle, held to the zip's entries both ways."""

from __future__ import annotations

import codecs

import pytest

from loadbay.oneroster.manifest import (
    FILES,
    IMPORTED_FILES,
    NOT_IMPORTED_FILES,
    BundleFile,
    ManifestRefused,
    read_manifest,
)

HEADER = "propertyName,value"
VERSIONS = ("manifest.version,1.0", "oneroster.version,1.1")


def manifest(*lines: str, versions: tuple[str, ...] = VERSIONS, header: str = HEADER) -> bytes:
    return "\r\n".join((header, *versions, *lines, "")).encode()


def refused(content: bytes, entries: list[str]) -> str:
    with pytest.raises(ManifestRefused) as caught:
        read_manifest(content, entries=entries)
    return caught.value.message


def test_files_are_the_specification_s_in_dependency_order() -> None:
    assert IMPORTED_FILES == (
        "orgs.csv",
        "academicSessions.csv",
        "courses.csv",
        "classes.csv",
        "users.csv",
        "enrollments.csv",
        "demographics.csv",
    )
    assert len(FILES) == 13
    assert set(FILES) == set(IMPORTED_FILES) | set(NOT_IMPORTED_FILES)


def test_a_full_manifest_gives_the_files_in_dependency_order() -> None:
    content = manifest(
        "file.users,bulk",
        "file.enrollments,delta",
        "file.orgs,bulk",
        "file.academicSessions,bulk",
        "file.courses,absent",
        "file.classes,bulk",
        "file.demographics,absent",
        *(f"file.{name.removesuffix('.csv')},absent" for name in NOT_IMPORTED_FILES),
        "source.systemName,Example SIS",
        "source.systemCode,ex-1",
    )
    entries = [
        "manifest.csv",
        "users.csv",
        "enrollments.csv",
        "orgs.csv",
        "academicSessions.csv",
        "classes.csv",
    ]
    assert read_manifest(content, entries=entries) == [
        BundleFile("orgs.csv", "orgs", "bulk"),
        BundleFile("academicSessions.csv", "academicSessions", "bulk"),
        BundleFile("classes.csv", "classes", "bulk"),
        BundleFile("users.csv", "users", "bulk"),
        BundleFile("enrollments.csv", "enrollments", "delta"),
    ]


def test_bom_header_case_values_case_and_padding_are_tolerated() -> None:
    content = codecs.BOM_UTF8 + manifest(
        " File.Users , BULK ,,",
        "",
        "FILE.ORGS,Delta",
        versions=("Manifest.Version,1.0", "ONEROSTER.VERSION, 1.1"),
        header="PROPERTYNAME,Value",
    )
    assert read_manifest(content, entries=["manifest.csv", "orgs.csv", "users.csv"]) == [
        BundleFile("orgs.csv", "orgs", "delta"),
        BundleFile("users.csv", "users", "bulk"),
    ]


def test_a_file_left_out_of_the_manifest_counts_as_absent() -> None:
    assert read_manifest(manifest("file.users,bulk"), entries=["manifest.csv", "users.csv"]) == [
        BundleFile("users.csv", "users", "bulk")
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "manifest.csv is empty"),
        (b"name,value\r\nfile.users,bulk\r\n", "must start with the header row propertyName,value"),
        (b"\xff\xfe" + "propertyName,value".encode("utf-16-le"), "not UTF-8"),
        (manifest("file.users,bulk,extra"), "Line 4 of manifest.csv has 3 cells"),
        (manifest('file.users,"bulk'), "Line 4 of manifest.csv is not valid CSV"),
    ],
)
def test_a_manifest_that_cannot_be_read_is_refused(content: bytes, expected: str) -> None:
    assert expected in refused(content, ["manifest.csv", "users.csv"])


@pytest.mark.parametrize(
    ("versions", "expected"),
    [
        (("oneroster.version,1.1",), "manifest.csv has no manifest.version"),
        (("manifest.version,1.0",), "manifest.csv has no oneroster.version"),
        (("manifest.version,2.0", "oneroster.version,1.1"), "declares manifest.version 2.0"),
        (("manifest.version,1.0", "oneroster.version,1.2"), "declares oneroster.version 1.2"),
        (("manifest.version,1.0", "oneroster.version,"), "declares oneroster.version (blank)"),
    ],
)
def test_versions_must_be_those_of_oneroster_1_1(versions: tuple[str, ...], expected: str) -> None:
    assert expected in refused(manifest("file.users,bulk", versions=versions), ["manifest.csv", "users.csv"])


def test_a_property_declared_twice_is_refused() -> None:
    message = refused(manifest("file.users,bulk", "file.Users,delta"), ["manifest.csv", "users.csv"])
    assert message == "manifest.csv declares file.Users twice; keep one line for it."


def test_an_unknown_file_property_is_refused_by_name() -> None:
    message = refused(manifest("file.users,bulk", "file.grades,bulk"), ["manifest.csv", "users.csv"])
    assert "file.grades, which is not a file of OneRoster 1.1" in message


@pytest.mark.parametrize("value", ["full", ""])
def test_a_mode_other_than_bulk_delta_or_absent_is_refused(value: str) -> None:
    message = refused(manifest(f"file.users,{value}"), ["manifest.csv", "users.csv"])
    assert "file.users as" in message
    assert "it must be bulk, delta or absent" in message


@pytest.mark.parametrize("name", NOT_IMPORTED_FILES)
def test_a_file_loadbay_does_not_import_declared_bulk_is_refused(name: str) -> None:
    entity = name.removesuffix(".csv")
    message = refused(manifest("file.users,bulk", f"file.{entity},bulk"), ["manifest.csv", "users.csv", name])
    assert f"Loadbay does not import {name}" in message
    assert f"declare file.{entity} as absent" in message


def test_a_file_loadbay_does_not_import_in_the_bundle_is_refused() -> None:
    content = manifest("file.users,bulk", "file.lineItems,absent")
    message = refused(content, ["manifest.csv", "users.csv", "lineItems.csv"])
    assert message.startswith("Loadbay does not import lineItems.csv")


def test_a_file_in_the_bundle_declared_absent_is_refused() -> None:
    content = manifest("file.orgs,bulk", "file.users,absent")
    message = refused(content, ["manifest.csv", "orgs.csv", "users.csv"])
    assert message.startswith("users.csv is in the bundle but manifest.csv declares file.users as absent")


def test_a_file_in_the_bundle_the_manifest_leaves_out_is_refused() -> None:
    message = refused(manifest("file.orgs,bulk"), ["manifest.csv", "orgs.csv", "users.csv"])
    assert message.startswith("users.csv is in the bundle but manifest.csv does not declare file.users")


def test_a_declared_file_missing_from_the_bundle_is_refused() -> None:
    content = manifest("file.users,bulk", "file.enrollments,bulk")
    message = refused(content, ["manifest.csv", "users.csv"])
    assert message == "manifest.csv declares file.enrollments as bulk but the bundle has no enrollments.csv."


def test_entry_names_match_case_sensitively() -> None:
    content = manifest("file.academicSessions,bulk")
    message = refused(content, ["manifest.csv", "academicsessions.csv"])
    assert message == (
        "academicsessions.csv is in the bundle, but OneRoster names that file academicSessions.csv; rename it."
    )


def test_an_entry_that_is_no_oneroster_file_is_refused() -> None:
    message = refused(manifest("file.users,bulk"), ["manifest.csv", "users.csv", "notes.csv"])
    assert message.startswith("notes.csv is in the bundle but is not a file of OneRoster 1.1")


@pytest.mark.parametrize(
    "lines", [(), ("file.users,absent", "file.orgs,absent"), ("source.systemName,Example SIS",)]
)
def test_a_bundle_with_nothing_to_import_is_refused(lines: tuple[str, ...]) -> None:
    message = refused(manifest(*lines), ["manifest.csv"])
    assert message.startswith("manifest.csv declares no file as bulk or delta")
