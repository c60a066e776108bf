"""GET /signed/<key>: the file behind a signed URL, if the signature holds and has not expired."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from starlette.responses import JSONResponse, Response, StreamingResponse

from loadbay.deps import RuntimeDep

router = APIRouter(tags=["downloads"])


@router.get("/signed/{key:path}", include_in_schema=False)
async def signed_download(
    key: str,
    runtime: RuntimeDep,
    expires: str = "",
    signature: str = "",
    filename: str | None = None,
    content_type: str | None = None,
) -> Response:
    storage = runtime.storage
    check = storage.check_signature(
        method="GET",
        key=key,
        expires=expires,
        signature=signature,
        filename=filename,
        content_type=content_type,
    )
    if not check.ok:
        return JSONResponse({"message": check.reason}, status_code=403)
    if not storage.exists(key):
        return JSONResponse({"message": "The file no longer exists."}, status_code=404)
    if filename is None and content_type is None:
        # A result file: the link carries neither, so both follow from the key.
        disposition = f'attachment; filename="{key.rsplit("/", 1)[-1].removesuffix(".csv")}-result.csv"'
        media_type = "text/csv; charset=utf-8"
    else:
        # Both come from Loadbay and are covered by the signature checked above.
        disposition = attachment_disposition(filename or key.rsplit("/", 1)[-1])
        media_type = content_type or "application/octet-stream"
    return StreamingResponse(
        storage.iter_bytes(key),
        media_type=media_type,
        headers={
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


def attachment_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact UTF-8 name (RFC 6266, RFC 5987)."""
    fallback = "".join(ch if " " <= ch < "\x7f" and ch not in '"\\' else "_" for ch in filename) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
