"""GET /api/v1/templates/{name}.csv: an import type's header row, ready to fill in."""

from __future__ import annotations

import csv
import io

from fastapi import APIRouter
from starlette.responses import Response

from loadbay.errors import ApiError
from loadbay.importing.registry import all_types, get_type

router = APIRouter(tags=["templates"])


@router.get("/api/v1/templates/{name}.csv")
def template(name: str) -> Response:
    """The header row of import type ``name`` (no data rows). Public: it holds no tenant data."""
    import_type = get_type(name)
    if import_type is None:
        known = ", ".join(t.name for t in all_types())
        raise ApiError(404, f"No template '{name}'. Templates: {known}.")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(import_type.template_header())
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{import_type.name}.csv"',
            "X-Content-Type-Options": "nosniff",
        },
    )
