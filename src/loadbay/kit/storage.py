"""Object storage through obstore, and the signed URLs Loadbay hands out for it.

Local storage has no signer of its own, so Loadbay signs those URLs itself (HMAC over
method, key and expiry) and serves them at ``/signed/<key>``. S3-compatible stores get
real presigned GET URLs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import re
import time
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlparse

import obstore
from obstore.store import LocalStore, S3Store

from loadbay.config import Settings


class StorageError(Exception):
    """The object store could not be reached or refused an operation."""


class ObjectMissing(StorageError):
    """No object at that key: permanent, so it is not worth retrying."""


@dataclass(frozen=True)
class SignedUrlCheck:
    ok: bool
    reason: str = ""


@contextmanager
def _storage_errors() -> Iterator[None]:
    """Turn the store's own errors into StorageError, which the API answers with 503."""
    try:
        yield
    except (OSError, obstore.exceptions.BaseError) as exc:
        # obstore's messages go on with a multi-line debug dump; the first line says what failed.
        message = (str(exc).strip() or repr(exc)).splitlines()[0]
        if isinstance(exc, FileNotFoundError | obstore.exceptions.NotFoundError):
            raise ObjectMissing(message) from exc
        raise StorageError(message) from exc


class ObjectStorage:
    """One object store, addressed by keys such as ``import-csv/pending/<ref>.csv``."""

    def __init__(self, settings: Settings) -> None:
        url = settings.resolved_storage_url
        self.url = url
        self._base_url = settings.base_url
        self._sign_key = hmac.new(
            settings.resolved_secret_key.encode(), b"loadbay-signed-url-v1", hashlib.sha256
        ).digest()
        parsed = urlparse(url)
        self.is_local = parsed.scheme == "file"
        self._store: Any
        # A local store's folder, and where files to be stored are made first (None: the system's
        # temporary folder). On the store's own filesystem, put_file links them in.
        self._root: Path | None = None
        self.scratch: Path | None = None
        if self.is_local:
            root = Path(unquote(parsed.path))
            root.mkdir(parents=True, exist_ok=True)
            self._store = LocalStore(root)
            self._root = root
            self.scratch = root / _SCRATCH
            self.scratch.mkdir(exist_ok=True)
        elif parsed.scheme == "s3":
            self._store = _s3_store(parsed.netloc, parsed.path.strip("/"), settings)
        else:
            raise ValueError(f"LOADBAY_STORAGE_URL must be file://... or s3://..., got {url!r}")
        # Presigning is a local computation; when clients reach the store at another address than
        # Loadbay does (a container network), a second store signs for the clients' address.
        self._sign_store: Any = self._store
        if not self.is_local and settings.s3_public_endpoint:
            self._sign_store = _s3_store(
                parsed.netloc, parsed.path.strip("/"), settings, endpoint=settings.s3_public_endpoint
            )

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes]) -> None:
        """Store ``chunks`` under ``key`` atomically: if the iterator raises, nothing is stored."""
        with _storage_errors():
            await obstore.put_async(self._store, key, chunks)

    def put_file(self, key: str, path: Path) -> None:
        """Store the file at ``path`` under ``key``. A file made in ``scratch`` may become the
        stored object itself: it is not written again once stored (it may be deleted)."""
        if self._root is not None and path.parent == self.scratch and _link(path, self._root, key):
            return
        with _storage_errors():
            obstore.put(self._store, key, path)

    def open(self, key: str) -> io.BufferedReader:
        """A buffered binary reader that streams the object instead of loading it whole."""
        with _storage_errors():
            reader = obstore.open_reader(self._store, key, buffer_size=1024 * 1024)
        return io.BufferedReader(_RawReader(reader), buffer_size=1024 * 1024)

    async def iter_bytes(self, key: str) -> AsyncIterator[bytes]:
        with _storage_errors():
            result = await obstore.get_async(self._store, key)
            async for chunk in result.stream(min_chunk_size=256 * 1024):
                yield bytes(chunk)

    def copy(self, source: str, destination: str) -> None:
        with _storage_errors():
            obstore.copy(self._store, source, destination)

    def exists(self, key: str) -> bool:
        try:
            with _storage_errors():
                obstore.head(self._store, key)
        except StorageError as exc:
            if isinstance(exc.__cause__, FileNotFoundError | obstore.exceptions.NotFoundError):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        try:
            with _storage_errors():
                obstore.delete(self._store, key)
        except StorageError as exc:
            if isinstance(exc.__cause__, FileNotFoundError | obstore.exceptions.NotFoundError):
                return
            raise

    def keys_older_than(self, prefix: str, moment: datetime) -> list[str]:
        """Keys under ``prefix`` last written before ``moment`` (timezone-aware)."""
        with _storage_errors():
            listed = obstore.list(self._store, prefix=prefix).collect()
        return [meta["path"] for meta in listed if meta["last_modified"] < moment]

    def delete_prefix(self, prefix: str) -> None:
        """Delete every object whose key starts with ``prefix`` (end it with ``/`` for a folder)."""
        with _storage_errors():
            # Listed in full before deleting: a walk of a local folder must not see it change.
            paths = [meta["path"] for meta in obstore.list(self._store, prefix=prefix).collect()]
            for start in range(0, len(paths), 1000):
                obstore.delete(self._store, paths[start : start + 1000])

    def sweep_scratch(self, moment: datetime) -> int:
        """Delete the scratch files last written before ``moment``: a process killed while it
        made them (a running import appends to its own at least once per checkpoint)."""
        if self.scratch is None:
            return 0
        swept = 0
        for path in self.scratch.iterdir():
            with suppress(OSError):
                if path.stat().st_mtime < moment.timestamp():
                    path.unlink()
                    swept += 1
        return swept

    def check(self) -> None:
        """Raise StorageError unless the store answers a listing."""
        with _storage_errors():
            obstore.list(self._store, prefix="import-csv/", chunk_size=1).collect()

    # -- signed URLs ---------------------------------------------------------------

    def signed_url(
        self,
        key: str,
        *,
        ttl_seconds: int,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> str:
        """A time-limited GET URL for ``key``.

        With ``filename`` or ``content_type`` the link is served by Loadbay at ``/signed/<key>``
        whatever the store, as an attachment with that name and type, both covered by the
        signature: obstore's presigned S3 URLs cannot set response headers.
        """
        extra = {
            name: value
            for name, value in (("filename", filename), ("content_type", content_type))
            if value is not None
        }
        if not self.is_local and not extra:
            return str(obstore.sign(self._sign_store, "GET", key, timedelta(seconds=ttl_seconds)))
        expires = int(time.time()) + ttl_seconds
        signature = self._signature("GET", key, expires, filename=filename, content_type=content_type)
        query = urlencode({"expires": expires, **extra, "signature": signature})
        return f"{self._base_url}/signed/{quote(key)}?{query}"

    def check_signature(
        self,
        *,
        method: str,
        key: str,
        expires: str,
        signature: str,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> SignedUrlCheck:
        try:
            expires_at = int(expires)
        except ValueError:
            return SignedUrlCheck(False, "The link is malformed.")
        expected = self._signature(method, key, expires_at, filename=filename, content_type=content_type)
        # Compare first, in constant time, so a forged link learns nothing from timing.
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            return SignedUrlCheck(False, "The link's signature does not match.")
        if expires_at < time.time():
            return SignedUrlCheck(False, "The link has expired; ask the API for a new one.")
        return SignedUrlCheck(True)

    def _signature(
        self,
        method: str,
        key: str,
        expires: int,
        *,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> str:
        message = f"{method}\n{key}\n{expires}".encode()
        if filename is not None or content_type is not None:
            # A message of its own shape (JSON, null for an absent value): adding, dropping or
            # changing either value, or moving text between them, breaks the signature.
            message = b"attachment-v1\n" + json.dumps([method, key, expires, filename, content_type]).encode()
        digest = hmac.new(self._sign_key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class _RawReader(io.RawIOBase):
    """Adapts obstore's ReadableFile to the io stack (TextIOWrapper, csv)."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        # The object can vanish after it was opened (a finished import, the retention sweep):
        # that is a StorageError like any other, not an OSError from deep inside a reader.
        with _storage_errors():
            data = self._reader.read(len(buffer))
        size = len(data)
        buffer[:size] = memoryview(data)
        return size

    def close(self) -> None:
        if not self.closed:
            self._reader.close()
        super().close()


# Under a local store's folder; no key starts with a dot, so no listing of keys meets it.
_SCRATCH = ".scratch"
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*(/[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*)*")


def _link(path: Path, root: Path, key: str) -> bool:
    """Store ``path`` under ``key`` in the local store at ``root`` as a second name of the same
    file, not a copy of its bytes (a 1M-row users import's result and kept copy: 0.2-0.4 s).

    The two names stay independent: a store writes an object by renaming a new file over it,
    never in place, and the first name is only deleted. False (store a copy instead) when the
    key is not a plain path or the file is on another filesystem.
    """
    if not _PLAIN_KEY.fullmatch(key):
        return False
    target = root / key
    staged = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, staged)
    except OSError:
        return False
    try:
        os.replace(staged, target)
    except OSError:
        staged.unlink(missing_ok=True)
        return False
    return True


def _s3_store(bucket: str, prefix: str, settings: Settings, *, endpoint: str | None = None) -> Any:
    def pick(name: str, *fallbacks: str) -> str | None:
        configured = getattr(settings, f"s3_{name.lower()}", None)
        if configured:
            return str(configured)
        return next((os.environ[env] for env in fallbacks if os.environ.get(env)), None)

    config: dict[str, str] = {}
    endpoint = endpoint or pick("ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
    if endpoint:
        config["endpoint"] = endpoint
    for key, names in {
        "region": ("REGION", "AWS_REGION", "AWS_DEFAULT_REGION"),
        "access_key_id": ("ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"),
        "secret_access_key": ("SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"),
        "token": ("SESSION_TOKEN", "AWS_SESSION_TOKEN"),
    }.items():
        value = pick(*names)
        if value:
            config[key] = value
    config.setdefault("region", "us-east-1")
    # A store that is down must surface within seconds, not after obstore's default three minutes
    # of retries: the API answers 503 and the readiness probe fails while workers wait and retry.
    client_options: dict[str, Any] = {"connect_timeout": timedelta(seconds=5)}
    if endpoint and endpoint.startswith("http://"):
        client_options["allow_http"] = True
    retry_config = {"max_retries": 4, "retry_timeout": timedelta(seconds=15)}
    return S3Store(
        bucket,
        prefix=prefix or None,
        config=config,  # type: ignore[arg-type]
        client_options=client_options,  # type: ignore[arg-type]
        retry_config=retry_config,  # type: ignore[arg-type]
        # Path-style requests: what MinIO and most self-hosted S3-compatible stores expect.
        virtual_hosted_style_request=False,
    )
