"""OneRoster 1.1 bundles written the way a student information system exports them."""

from __future__ import annotations

import io
import struct
import zipfile

from tests.oneroster.writing import csv_text

# The published OneRoster 1.1 CSV column lists (IMS Global, OneRoster 1.1 CSV Tables).
COLUMNS = {
    "orgs": ["sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"],
    "academicSessions": [
        "sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate",
        "parentSourcedId", "schoolYear",
    ],
    "courses": [
        "sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title", "courseCode", "grades",
        "orgSourcedId", "subjects", "subjectCodes",
    ],
    "classes": [
        "sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId", "classCode",
        "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes", "periods",
    ],
    "users": [
        "sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role", "username",
        "userIds", "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
        "agentSourcedIds", "grades", "password",
    ],
    "enrollments": [
        "sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId", "userSourcedId",
        "role", "primary", "beginDate", "endDate",
    ],
    "demographics": [
        "sourcedId", "status", "dateLastModified", "birthDate", "sex", "americanIndianOrAlaskaNative",
        "asian", "blackOrAfricanAmerican", "nativeHawaiianOrOtherPacificIslander", "white",
        "demographicRaceTwoOrMoreRaces", "hispanicOrLatinoEthnicity", "countryOfBirthCode",
        "stateOfBirthAbbreviation", "cityOfBirth", "publicSchoolResidenceStatus",
    ],
}  # fmt: skip

ALL = ("orgs", "academicSessions", "courses", "classes", "users", "enrollments", "demographics")


def rows(entity: str, *records: dict[str, str]) -> list[dict[str, str]]:
    """Records with every column of ``entity`` in the published order (missing cells blank)."""
    return [{column: record.get(column, "") for column in COLUMNS[entity]} for record in records]


def manifest(modes: dict[str, str], *, version: str = "1.1") -> str:
    lines = ["propertyName,value", "manifest.version,1.0", f"oneroster.version,{version}"]
    lines += [f"file.{entity},{modes.get(entity, 'absent')}" for entity in ALL]
    lines += ["source.systemName,Test SIS", "source.systemCode,tsis"]
    return "\r\n".join(lines) + "\r\n"


def bundle(
    files: dict[str, list[dict[str, str]]],
    *,
    mode: str = "bulk",
    modes: dict[str, str] | None = None,
    manifest_text: str | None = None,
    extra: dict[str, bytes] | None = None,
) -> bytes:
    """A zip with manifest.csv and one CSV per entity of ``files`` (all ``mode`` unless ``modes``)."""
    declared = modes if modes is not None else dict.fromkeys(files, mode)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.csv", manifest_text if manifest_text is not None else manifest(declared))
        for entity, records in files.items():
            text = csv_text(rows(entity, *records)) if records else ",".join(COLUMNS[entity]) + "\r\n"
            archive.writestr(f"{entity}.csv", text)
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return out.getvalue()


def unzip(content: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name).decode("utf-8-sig") for name in archive.namelist()}


# A password TAO's policy accepts; it must never come back out of Loadbay.
PASSWORD = "Wonder#land1"


def district() -> dict[str, list[dict[str, str]]]:
    """A small district's full export: every OneRoster 1.1 file Loadbay imports, bulk (blank
    status and dateLastModified), with multi-valued cells and one user with a password."""
    year = {"startDate": "2026-09-01", "endDate": "2027-06-30", "schoolYear": "2027"}
    fall = {
        "startDate": "2026-09-01",
        "endDate": "2027-01-31",
        "schoolYear": "2027",
        "parentSourcedId": "y27",
    }
    return {
        "orgs": [
            {"sourcedId": "d1", "name": "North District", "type": "district", "identifier": "ND-01"},
            {"sourcedId": "s1", "name": "Hill School", "type": "school", "parentSourcedId": "d1"},
            {"sourcedId": "s2", "name": "Vale School", "type": "school", "parentSourcedId": "d1"},
        ],
        "academicSessions": [
            {"sourcedId": "y27", "title": "2026-2027", "type": "schoolYear", **year},
            {"sourcedId": "t1", "title": "Fall", "type": "term", **fall},
        ],
        "courses": [
            {"sourcedId": "c1", "schoolYearSourcedId": "y27", "title": "Algebra I", "courseCode": "MA-101"}
            | {"grades": "09,10", "orgSourcedId": "s1", "subjects": "Mathematics", "subjectCodes": "02052"},
            {"sourcedId": "c2", "schoolYearSourcedId": "y27", "title": "Art", "orgSourcedId": "s2"},
        ],
        "classes": [
            {"sourcedId": "k1", "title": "Algebra I, 1st period", "grades": "09", "courseSourcedId": "c1"}
            | {
                "classCode": "ALG-1",
                "classType": "scheduled",
                "schoolSourcedId": "s1",
                "termSourcedIds": "t1",
            }
            | {"subjects": "Mathematics", "periods": "1"},
            {"sourcedId": "k2", "title": "Art", "courseSourcedId": "c2", "classType": "scheduled"}
            | {"schoolSourcedId": "s2", "termSourcedIds": "t1"},
            {"sourcedId": "k3", "title": "Homeroom 9A", "courseSourcedId": "c1", "classType": "homeroom"}
            | {"schoolSourcedId": "s1", "termSourcedIds": "t1"},
        ],
        "users": [
            user("u1", "ada", "s1", "student", givenName="Ada", familyName="Lovelace", password=PASSWORD)
            | {"userIds": "{SIS:1001},{LDAP:ada}", "grades": "09", "email": "ada@example.org"},
            user("u2", "bob", "s1,s2", "student", givenName="Bob", familyName="Byte"),
            user("u3", "cy", "s1", "teacher", givenName="Cy", familyName="Press", middleName="J"),
            user("u4", "dee", "s2", "student", givenName="Dee", familyName="Ward", agentSourcedIds="u3"),
        ],
        "enrollments": [
            {"sourcedId": "e1", "classSourcedId": "k1", "schoolSourcedId": "s1", "userSourcedId": "u1"}
            | {"role": "student", "beginDate": "2026-09-01", "endDate": "2027-01-31"},
            {"sourcedId": "e2", "classSourcedId": "k1", "schoolSourcedId": "s1", "userSourcedId": "u3"}
            | {"role": "teacher", "primary": "true"},
            {"sourcedId": "e3", "classSourcedId": "k2", "schoolSourcedId": "s2", "userSourcedId": "u4"}
            | {"role": "student"},
            {"sourcedId": "e4", "classSourcedId": "k3", "schoolSourcedId": "s1", "userSourcedId": "u2"}
            | {"role": "student"},
        ],
        "demographics": [
            {
                "sourcedId": "u1",
                "birthDate": "2011-04-02",
                "sex": "female",
                "asian": "true",
                "white": "false",
            },
            {
                "sourcedId": "u2",
                "birthDate": "2010-12-24",
                "sex": "male",
                "hispanicOrLatinoEthnicity": "true",
            },
        ],
    }


def user(sourced_id: str, username: str, orgs: str, role: str, **cells: str) -> dict[str, str]:
    return {"sourcedId": sourced_id, "enabledUser": "true", "orgSourcedIds": orgs, "role": role} | {
        "username": username,
        **cells,
    }


def patched(content: bytes, name: str, *, flags: int = 0, file_size: int | None = None) -> bytes:
    """The zip ``content`` with the headers of entry ``name`` changed as a hostile zip tool would:
    ``flags`` OR-ed into its general purpose bits (0x1: encrypted), ``file_size`` declared as
    its uncompressed size (in its local header and the central directory alike)."""
    data = bytearray(content)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info = archive.getinfo(name)
    central = _central_entry(data, name)
    local = info.header_offset
    for header, flag_at, size_at in ((central, 8, 24), (local, 6, 22)):
        (bits,) = struct.unpack_from("<H", data, header + flag_at)
        struct.pack_into("<H", data, header + flag_at, bits | flags)
        if file_size is not None:
            struct.pack_into("<I", data, header + size_at, file_size)
    return bytes(data)


def _central_entry(data: bytearray, name: str) -> int:
    """Where the central directory entry of ``name`` starts (read from the end record)."""
    end = data.rindex(b"PK\x05\x06")
    (count,) = struct.unpack_from("<H", data, end + 10)
    (at,) = struct.unpack_from("<I", data, end + 16)
    for _ in range(count):
        lengths = struct.unpack_from("<HHH", data, at + 28)
        if bytes(data[at + 46 : at + 46 + lengths[0]]) == name.encode():
            return at
        at += 46 + sum(lengths)
    raise KeyError(name)
