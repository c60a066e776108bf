"""GET /signed/<key>: the file behind a signed URL, if the signature holds and has not expired."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import JSONResponse, Response, StreamingResponse

from loadbay.deps import RuntimeDep

router = APIRouter(tags=["downloads"])


@router.get("/signed/{key:path}", include_in_schema=False)
async def signed_download(key: str, runtime: RuntimeDep, expires: str = "", signature: str = "") -> Response:
    storage = runtime.storage
    check = storage.check_signature(method="GET", key=key, expires=expires, signature=signature)
    if not check.ok:
        return JSONResponse({"message": check.reason}, status_code=403)
    if not storage.exists(key):
        return JSONResponse({"message": "The file no longer exists."}, status_code=404)
    filename = key.rsplit("/", 1)[-1].removesuffix(".csv") + "-result.csv"
    return StreamingResponse(
        storage.iter_bytes(key),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
