"""``LoadbayClient``: the HTTP API as the command-line client uses it (httpx, synchronous)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO, Any, cast
from urllib.parse import quote

import httpx

from loadbay import __version__
from loadbay.client.errors import ApiError, FileRefused, ServerUnreachable, UsageError, server_message
from loadbay.client.multipart import MultipartFile
from loadbay.client.schemas import Company, Detection, Import, ImportDetail, ImportPage, Message

TIMEOUT = httpx.Timeout(60.0, connect=10.0)
MESSAGE_PAGE = 500
# What the detect endpoint reads: enough for any real header row.
DETECT_BYTES = 64 * 1024
PAYMENTS_SCOPE = "payments"

# The 400s about the file itself (README, "Errors"); other 400s are about the options sent.
_FILE_REFUSED = ("Invalid file type", "Invalid bundle", "Missing file")
# The detect endpoint's 400 about the file; its other 400 is about the scope asked for.
_NOT_CSV = "The file cannot be read as CSV"
# A 404 or a 501 for the token request: whatever answers at the URL is not Loadbay.
_WRONG_SERVER = "is {url} the Loadbay server? check --url or LOADBAY_URL"
_HINTS = {
    401: "the server refused the token; was the client revoked?",
    403: "this client lacks the scope that this needs",
}


def base_url(url: str) -> str:
    """``url`` without a trailing slash, once it is known to be an http(s) URL with a host."""
    try:
        parsed = httpx.URL(url.strip())
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise UsageError(f"--url must look like http://host:port, not {url!r}.")
    return str(parsed).rstrip("/")


class LoadbayClient:
    """One client's session with a server: a token fetched on first use and renewed before it expires."""

    def __init__(
        self, url: str, *, client_id: str, client_secret: str, http: httpx.Client | None = None
    ) -> None:
        self.url = base_url(url)
        self._credentials = {"client_id": client_id, "client_secret": client_secret}
        self._http = http or httpx.Client(
            timeout=TIMEOUT, follow_redirects=True, headers={"User-Agent": f"loadbay-cli/{__version__}"}
        )
        self._token: str | None = None
        self._renew_at = 0.0
        # The scopes of the last token, as the server granted them; empty before the first.
        self.scopes: frozenset[str] = frozenset()
        # Whether the last upload was answered from an earlier one (Idempotent-Replayed).
        self.last_upload_replayed = False

    def __enter__(self) -> LoadbayClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    @contextmanager
    def _transport(self) -> Iterator[None]:
        """httpx's network errors as ``ServerUnreachable``, with what a person can check."""
        try:
            yield
        except httpx.TimeoutException as exc:
            raise ServerUnreachable(
                f"The server at {self.url} did not answer in time ({type(exc).__name__})."
            ) from None
        except (httpx.TransportError, httpx.StreamError) as exc:
            reason = str(exc) or type(exc).__name__
            raise ServerUnreachable(
                f"Cannot reach the Loadbay server at {self.url} ({reason}). "
                "Is it running, and is --url (LOADBAY_URL) right?"
            ) from None

    def _send(self, method: str, path_or_url: str, **kwargs: Any) -> httpx.Response:
        url = path_or_url if "://" in path_or_url else self.url + path_or_url
        with self._transport():
            return self._http.request(method, url, **kwargs)

    def _error(self, response: httpx.Response, *, hint: str = "") -> ApiError:
        message = server_message(
            response.status_code, response.headers.get("content-type", ""), response.content
        )
        return ApiError(response.status_code, message, hint=hint or _HINTS.get(response.status_code, ""))

    def token(self) -> str:
        """A bearer token, fetched anew shortly before the last one expires (a long ``--wait``)."""
        if self._token is None or time.monotonic() >= self._renew_at:
            response = self._send(
                "POST",
                "/api/v1/oauth2/tokens",
                data={"grant_type": "client_credentials", **self._credentials},
            )
            if response.status_code in (400, 401):
                raise self._error(
                    response,
                    hint="check --client-id/--client-secret or LOADBAY_CLIENT_ID/LOADBAY_CLIENT_SECRET",
                )
            if response.status_code == 429:
                wait = response.headers.get("retry-after", "a minute")
                raise self._error(response, hint=f"too many token requests; try again in {wait} s")
            if response.status_code != 200:
                raise self._error(response, hint=_WRONG_SERVER.format(url=self.url))
            try:
                payload = response.json()
                str(payload["access_token"])
            except (ValueError, KeyError, TypeError):
                raise ApiError(
                    200, "The answer was not a token.", hint=_WRONG_SERVER.format(url=self.url)
                ) from None
            lifetime = float(payload.get("expires_in") or 3600)
            self._token = str(payload["access_token"])
            self.scopes = frozenset(str(payload.get("scope") or "").split())
            self._renew_at = time.monotonic() + lifetime - min(60.0, lifetime / 4)
        return self._token

    def _authorized(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        def send() -> httpx.Response:
            return self._send(
                method, path, headers={**(headers or {}), "Authorization": f"Bearer {self.token()}"}, **kwargs
            )

        response = send()
        if response.status_code == 401 and "content" not in kwargs:
            # A token can lapse before we expected (the machine slept through its expiry, which the
            # monotonic clock does not count; the server's key changed): one retry with a fresh
            # token before reporting a refusal. An upload's body cannot be sent twice.
            self._token = None
            response = send()
        return response

    def _get_json(self, path: str, params: dict[str, str | int] | None = None) -> Any:
        response = self._authorized("GET", path, params=params)
        if response.status_code != 200:
            raise self._error(response)
        return response.json()

    def max_upload_bytes(self, field: str = "maxUploadBytes") -> int | None:
        """An upload size limit from ``GET /api/v1/limits`` (``batchesMaxUploadBytes`` for a
        batch's file), or None when the server does not say (an older server)."""
        response = self._send("GET", "/api/v1/limits")
        if response.status_code != 200:
            return None
        limit = response.json().get(field)
        return limit if isinstance(limit, int) else None

    def refuse_if_too_large(self, size: int, field: str = "maxUploadBytes") -> None:
        """Raise FileRefused before a byte is sent when a file of ``size`` bytes is over the limit."""
        limit = self.max_upload_bytes(field)
        if limit is not None and size > limit:
            raise FileRefused(
                413,
                f"File too large: {size:,} bytes, and the server takes at most {limit:,}. "
                "Split the file and upload each part.",
            )

    def _post_file(
        self,
        url: str,
        body: MultipartFile,
        *,
        params: dict[str, str] | None = None,
        on_progress: Callable[[int, int | None], None] | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        """Stream ``body`` with its Content-Length, reporting the file bytes sent."""
        headers = {"Content-Type": body.content_type, "Content-Length": str(body.content_length)}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return self._authorized("POST", url, params=params, content=body.chunks(on_progress), headers=headers)

    def upload(
        self,
        path: Path,
        *,
        options: dict[str, str],
        on_progress: Callable[[int, int | None], None] | None = None,
        idempotency_key: str | None = None,
        bundle: bool = False,
    ) -> str:
        """Stream ``path`` to ``POST /api/v1/upload`` with ``options`` as form fields; the reference id.

        ``bundle``: the file is a zip of CSV files with a manifest, which the server recognises by
        its content; it is sent as one.

        A file over the server's limit is refused before a byte of it is sent. With
        ``idempotency_key``, a file the server took with that key within 24 hours is not taken
        again: the answer is the first upload's reference.
        """
        body = MultipartFile(path, fields=options, content_type="application/zip" if bundle else "text/csv")
        self.refuse_if_too_large(body.size)
        response = self._post_file(
            "/api/v1/upload", body, on_progress=on_progress, idempotency_key=idempotency_key
        )
        if response.status_code != 200:
            error = self._error(response)
            if response.status_code == 413 or error.message.startswith(_FILE_REFUSED):
                raise FileRefused(response.status_code, error.message)
            if response.status_code == 403:
                hint = "uploading needs a client with scope rostering"
                if PAYMENTS_SCOPE in self.scopes:
                    hint += (
                        f"; this client has scope {' '.join(sorted(self.scopes))}: "
                        "push payments files with --company (and --project)"
                    )
                raise self._error(response, hint=hint)
            raise error
        # The server answered with an earlier upload of this file (the same key within 24 h).
        self.last_upload_replayed = response.headers.get("Idempotent-Replayed") == "true"
        return str(response.json()["result"]["referenceId"])

    @staticmethod
    def push_key(path: Path, options: dict[str, str]) -> str:
        """The Idempotency-Key ``loadbay push`` sends: the file's sha256 with the options, so the
        same push retried (a nightly job run twice) imports once, and another option a new one."""
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        digest.update(json.dumps(options, sort_keys=True).encode())
        return f"loadbay-push-{digest.hexdigest()}"

    def detect(self, path: Path, *, scope: str | None = None) -> Detection:
        """The template the header of ``path`` fits, among ``scope``'s; a file that cannot be read
        as CSV is refused."""
        with path.open("rb") as handle:
            head = handle.read(DETECT_BYTES)
        params = {"scope": scope} if scope else None
        response = self._send("POST", "/api/v1/templates/detect", content=head, params=params)
        if response.status_code != 200:
            error = self._error(response)
            if error.message.startswith(_NOT_CSV):
                raise FileRefused(response.status_code, error.message)
            raise error
        return cast(Detection, response.json())

    # -- the batches API (scope payments) --------------------------------------------------

    def companies(self) -> list[Company]:
        """The tenant's companies with their projects."""
        return cast(list[Company], self._get_json("/api/adm/companies")["data"])

    def create_batch(self, *, company_id: str, project_id: str, import_type: str) -> str:
        """Stage a batch for a company's project; its id."""
        body = {"CompanyId": company_id, "CompanyProjectId": project_id, "Type": import_type}
        response = self._authorized("POST", "/api/adm/import/batches", json=body)
        if response.status_code != 200:
            raise self._error(response)
        return str(response.json()["batchId"])

    def upload_batch_file(
        self, batch_id: str, path: Path, *, on_progress: Callable[[int, int | None], None] | None = None
    ) -> None:
        """Stream ``path`` as the batch's file; a 400 is about the file (its header, type, size)."""
        body = MultipartFile(path, fields={})
        response = self._post_file(
            "/api/adm/import/file", body, params={"BatchId": batch_id}, on_progress=on_progress
        )
        if response.status_code == 400:
            raise FileRefused(400, self._error(response).message)
        if response.status_code != 200:
            raise self._error(response)

    def batch_reference(self, batch_id: str) -> str:
        """The id of the batch's import in ``GET /api/v1/imports/{referenceId}``."""
        data = self._get_json(f"/api/adm/import/batches/{quote(batch_id, safe='')}")["data"]
        return str(data["referenceId"])

    def imports(
        self,
        *,
        status: str | None = None,
        import_type: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> ImportPage:
        """One page of the tenant's imports, newest first."""
        params: dict[str, str | int] = {"limit": limit}
        for name, value in (("status", status), ("type", import_type), ("cursor", cursor)):
            if value is not None:
                params[name] = value
        return cast(ImportPage, self._get_json("/api/v1/imports", params))

    def import_detail(
        self, reference_id: str, *, limit: int = 100, cursor: str | None = None
    ) -> ImportDetail:
        """One import with a page of its messages (``limit`` of them, after ``cursor``)."""
        params: dict[str, str | int] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        return cast(ImportDetail, self._get_json(f"/api/v1/imports/{quote(reference_id, safe='')}", params))

    def cancel(self, reference_id: str) -> Import:
        """Cancel an import: at once when it has not started, at its next batch when it runs."""
        response = self._authorized("POST", f"/api/v1/imports/{quote(reference_id, safe='')}/cancel")
        if response.status_code not in (200, 202):
            raise self._error(response)
        return cast(Import, response.json())

    def delete(self, reference_id: str) -> Import:
        """Delete an ended import's upload, result file and messages; its rows and counts stay."""
        response = self._authorized("DELETE", f"/api/v1/imports/{quote(reference_id, safe='')}")
        if response.status_code != 200:
            raise self._error(response)
        return cast(Import, response.json())

    def create_webhook(self, url: str) -> dict[str, Any]:
        """Register a webhook endpoint; the answer holds its signing secret, shown this once."""
        response = self._authorized("POST", "/api/v1/webhooks", json={"url": url})
        if response.status_code != 201:
            raise self._error(response)
        return cast(dict[str, Any], response.json())

    def webhooks(self) -> list[dict[str, Any]]:
        return cast(list[dict[str, Any]], self._get_json("/api/v1/webhooks")["items"])

    def delete_webhook(self, endpoint_id: str) -> None:
        response = self._authorized("DELETE", f"/api/v1/webhooks/{quote(endpoint_id, safe='')}")
        if response.status_code != 204:
            raise self._error(response)

    def webhook_deliveries(self, endpoint_id: str, *, limit: int) -> list[dict[str, Any]]:
        path = f"/api/v1/webhooks/{quote(endpoint_id, safe='')}/deliveries"
        return cast(list[dict[str, Any]], self._get_json(path, {"limit": limit})["items"])

    def all_messages(self, reference_id: str) -> Iterator[Message]:
        """Every message of an import, in line order, a page at a time."""
        cursor: str | None = None
        while True:
            page = self.import_detail(reference_id, limit=MESSAGE_PAGE, cursor=cursor)["messagePage"]
            yield from page["items"]
            cursor = page["nextCursor"]
            if cursor is None:
                return

    def download(
        self,
        reference_id: str,
        destination: IO[bytes],
        *,
        on_progress: Callable[[int, int | None], None] | None = None,
    ) -> int:
        """Write a finished import's result file to ``destination``; the number of bytes written.

        ``on_progress`` gets the bytes so far and the file's size when the server says it.
        """
        link = self._get_json(f"/api/v1/imports/{quote(reference_id, safe='')}/download")
        written = 0
        with self._transport(), self._http.stream("GET", str(link["signedUrl"])) as response:
            if response.status_code != 200:
                response.read()
                raise self._error(response)
            size = int(response.headers["content-length"]) if "content-length" in response.headers else None
            for chunk in response.iter_bytes():
                destination.write(chunk)
                written += len(chunk)
                if on_progress is not None:
                    on_progress(written, size)
        return written
