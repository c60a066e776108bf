"""OneRoster 1.1 bundles written the way a student information system exports them."""

from __future__ import annotations

import io
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
            archive.writestr(f"{entity}.csv", csv_text(rows(entity, *records)))
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return out.getvalue()


def unzip(content: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name).decode("utf-8-sig") for name in archive.namelist()}
