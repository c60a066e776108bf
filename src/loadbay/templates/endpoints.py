"""The import templates: listed with their columns, each one's header row as a CSV file, and
which one a file's first bytes fit. Public: they hold no tenant data."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from loadbay.errors import ApiError
from loadbay.importing.csvtext import FileRejected
from loadbay.importing.read import open_stored
from loadbay.importing.registry import (
    ImportType,
    all_types,
    bundle_types,
    closest_type,
    detect,
    mismatch,
)
from loadbay.kit.csvsniff import detect_encoding

router = APIRouter(tags=["templates"])

# Enough for any real header row; the console sends the first 64 KiB of the file.
DETECT_MAX_BYTES = 64 * 1024


def _describe(import_type: ImportType) -> dict[str, Any]:
    return {
        "name": import_type.name,
        "description": import_type.description,
        "scope": import_type.scope,
        "key": list(import_type.key_columns),
        "extraPrefix": import_type.extra_prefix,
        # A file of a bundle (oneroster): it comes inside the bundle's zip, never on its own.
        "bundle": import_type.bundle,
        "templateUrl": f"/api/v1/templates/{import_type.name}.csv",
        "columns": [
            {
                "name": column.name,
                "required": column.required.value,
                "description": column.description,
                "maxLength": column.max_length,
            }
            for column in import_type.columns
        ],
    }


@router.get("/api/v1/templates")
def templates() -> Any:
    """Every import type with its columns: what a file may hold, and which columns it must."""
    return {"items": [_describe(import_type) for import_type in [*all_types(), *bundle_types()]]}


@router.post("/api/v1/templates/detect")
async def detect_template(request: Request, scope: str | None = None) -> Any:
    """Which template the first bytes of a file fit, read as the importer reads them.

    Lets a person see what a file will import as before uploading it.
    """
    head = b""
    async for chunk in request.stream():
        head += chunk
        if len(head) > DETECT_MAX_BYTES:
            raise ApiError(413, f"Send at most the first {DETECT_MAX_BYTES} bytes of the file.")
    if scope is not None and not all_types(scope=scope):
        raise ApiError(400, f"scope '{scope[:32]}' has no import types.")
    try:
        header = open_stored(io.BytesIO(head)).header
    except FileRejected as exc:
        raise ApiError(400, f"The file cannot be read as CSV: {exc}") from None
    found = detect(header.names, scope=scope)
    closest = found or closest_type(header.names, scope=scope)
    given = {closest.canonical(name) for name in header.names}
    return {
        "importType": found.name if found else None,
        "header": header.names,
        "delimiter": header.delimiter,
        "encoding": detect_encoding(head[:4])[0],
        "closest": closest.name,
        "problems": [] if found else [f"{closest.name}: {p}" for p in closest.header_problems(header.names)],
        "explanation": None if found else mismatch(header.names, scope=scope),
        # What an update with this file does to a stored record: the key finds it, the columns
        # present are written (a blank cell clears), the template's other columns are kept. A
        # column mandatory in every row (a session's group_name) identifies, it changes nothing.
        "key": list(closest.key_columns),
        "changes": [
            c.name
            for c in closest.columns
            if c.name in given and c.name not in (*closest.key_columns, *closest.required_columns)
        ]
        + sorted(
            name for name in given if name and closest.extra_prefix and name.startswith(closest.extra_prefix)
        ),
        "keeps": [c.name for c in closest.columns if c.name not in given],
    }


@router.get("/api/v1/templates/{name}.csv")
def template(name: str) -> Response:
    """The header row of import type ``name`` (no data rows). Public: it holds no tenant data."""
    known = {t.name: t for t in [*all_types(), *bundle_types()]}
    import_type = known.get(name)
    if import_type is None:
        raise ApiError(404, f"No template '{name}'. Templates: {', '.join(known)}.")
    # A bundle's file keeps the name the bundle needs (oneroster.users → users.csv).
    filename = name.split(".", 1)[1] if import_type.bundle is not None else name
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(import_type.template_header())
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}.csv"',
            "X-Content-Type-Options": "nosniff",
        },
    )
