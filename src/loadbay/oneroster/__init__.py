"""OneRoster 1.1 CSV bundles: the files, their columns and how they map onto Loadbay's rostering tables.

Importing this package registers one import type per file (``oneroster.users`` …), in the
order a bundle's files are imported: a file's references point only to earlier files.
"""

# isort: off
from loadbay.oneroster import orgs, academic_sessions, courses, classes, users, enrollments, demographics
from loadbay.oneroster import manifest

# isort: on

__all__ = [
    "academic_sessions",
    "classes",
    "courses",
    "demographics",
    "enrollments",
    "manifest",
    "orgs",
    "users",
]
