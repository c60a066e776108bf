"""GET / and /console/...: the browser console's files, with headers that lock the page down.

The console is plain files shipped in the package (no build step, nothing fetched from a CDN), so
an offline machine serves it as is. Only files found in ``static/`` at start are served: a path
never reaches the file system, so there is nothing to traverse.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from fastapi import APIRouter, Request
from starlette.responses import Response

from loadbay.errors import ApiError

router = APIRouter(tags=["console"])

# The page talks only to its own origin. Result files open through signed URLs by navigation,
# which connect-src does not govern, so an S3 endpoint needs no entry here.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}

_MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


def _walk(folder: Traversable, prefix: str = "") -> dict[str, Asset]:
    assets: dict[str, Asset] = {}
    for entry in folder.iterdir():
        name = prefix + entry.name
        if entry.is_dir():
            assets.update(_walk(entry, name + "/"))
            continue
        media_type = _MEDIA_TYPES.get("." + entry.name.rpartition(".")[2])
        if media_type is None:
            continue
        body = entry.read_bytes()
        assets[name] = Asset(body, media_type, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
    return assets


@cache
def console_assets() -> dict[str, Asset]:
    """Every servable file under ``static/``, keyed by its path there, read once per process."""
    return _walk(files("loadbay.web") / "static")


def _serve(request: Request, name: str) -> Response:
    asset = console_assets().get(name)
    if asset is None:
        raise ApiError(404, f"No console file '{name}'.")
    # The files have fixed names, so a browser revalidates each time; an unchanged file costs a 304.
    headers = {**SECURITY_HEADERS, "Cache-Control": "no-cache", "ETag": asset.etag}
    if asset.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


@router.get("/", include_in_schema=False)
def console_page(request: Request) -> Response:
    """The console's single page; its routes live after ``#``, so any reload lands here."""
    return _serve(request, "index.html")


@router.get("/console/{name:path}", include_in_schema=False)
def console_file(request: Request, name: str) -> Response:
    """A script, stylesheet or image of the console."""
    return _serve(request, name)
