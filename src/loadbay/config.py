"""Every setting Loadbay reads, all from ``LOADBAY_*`` environment variables."""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MiB = 1024 * 1024
# anyio's default thread limiter: at most this many of a process's requests run their
# database work (FastAPI's sync endpoints and dependencies, run_in_threadpool) at once.
API_THREADS = 40


class Settings(BaseSettings):
    """Configuration for the API, the workers and the CLI alike."""

    model_config = SettingsConfigDict(env_prefix="LOADBAY_", extra="ignore")

    data_dir: Path = Field(default=Path("loadbay-data"))
    database_url: str | None = None
    # Connections one process may open (default: resolved_db_pool_size). A request holds at most
    # one, and only while its transaction is open; each worker thread two (import and heartbeat).
    db_pool_size: int | None = Field(default=None, ge=1)
    # How long a request or worker waits for a connection when all are in use; then the API
    # answers 503 with Retry-After and a worker retries the import without counting the attempt.
    db_pool_timeout: float = Field(default=10.0, gt=0)
    storage_url: str | None = None
    max_upload_bytes: int = Field(default=10 * MiB, gt=0)
    # Documents uploaded through the files API (seed 004): any kind of file, so a limit of its own.
    files_max_upload_bytes: int = Field(default=25 * MiB, gt=0)
    # Files uploaded to an import batch (seed 003, which names 50 MB as its limit).
    batches_max_upload_bytes: int = Field(default=50 * MiB, gt=0)
    token_ttl_seconds: int = Field(default=3600, gt=0)
    signed_url_ttl_seconds: int = Field(default=900, gt=0)
    secret_key: str | None = None
    public_url: str | None = None
    workers: int = Field(default=2, ge=0)
    # S3-compatible storage; each falls back to the standard AWS_* variable when unset.
    s3_endpoint: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    # The endpoint written into presigned download URLs, when clients reach the store at another
    # address than Loadbay does (e.g. http://localhost:9000 while Loadbay uses http://minio:9000).
    s3_public_endpoint: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    # How long an idle HTTP connection is kept for the client's next request. Longer than a load
    # balancer's own idle timeout (60 s on the common ones), so that a balancer never sends a
    # request on a connection Loadbay is closing: it would answer 502, and no client resends a
    # POST. uvicorn's own default is 5 s.
    keep_alive_seconds: int = Field(default=75, ge=1)
    # A lease must outlive the longest gap between two heartbeats; workers renew every third.
    lease_seconds: int = Field(default=30, gt=1)
    max_attempts: int = Field(default=3, ge=1)
    # Fairness: imports one tenant may have running at once across every worker (0: no cap).
    tenant_max_running: int = Field(default=2, ge=0)
    # After SIGTERM a worker finishes its running imports for this long, then hands them back.
    worker_grace_seconds: float = Field(default=30.0, ge=0)
    poll_seconds: float = Field(default=1.0, gt=0)
    # How often each worker process deletes import-batch files past their company's retention period.
    retention_sweep_seconds: float = Field(default=3600.0, gt=0)
    # Days after an import ends before its stored upload, result file and messages are deleted
    # (the imported rows stay); 0 keeps them. Payments batches follow their company's setting.
    import_retention_days: int = Field(default=0, ge=0)
    # How often each worker process deletes stored upload and work files that no import needs any more
    # (left by a process killed at the wrong moment), once they are this old.
    orphan_sweep_seconds: float = Field(default=3600.0, gt=0)
    orphan_grace_seconds: float = Field(default=3600.0, ge=0)
    # An import reads, checks and writes its rows in slices of about ``batch_bytes`` of the file
    # and at most ``slice_rows`` rows (what each of its stages holds at once), and commits them
    # with a checkpoint (one transaction, one result part) every ``batch_rows`` rows or
    # ``checkpoint_bytes`` of the file, whichever comes first.
    batch_rows: int = Field(default=400_000, gt=0)
    batch_bytes: int = Field(default=4 * MiB, ge=1024)
    checkpoint_bytes: int = Field(default=32 * MiB, ge=1024)
    # Work a file can force on the server is bounded: its columns, and its metadata columns.
    max_columns: int = Field(default=1000, gt=0)
    max_metadata_keys: int = Field(default=100, ge=0)
    # A bundle (a OneRoster zip, no larger than max_upload_bytes) may unpack to at most this many
    # bytes in all, hold this many entries, and compress no entry (nor the whole) more than this
    # ratio: CSV compresses 5-20 times; a zip bomb, thousands of times.
    max_bundle_unpacked_bytes: int = Field(default=20 * 1024 * MiB, gt=0)
    max_bundle_entries: int = Field(default=32, gt=0)
    max_bundle_ratio: float = Field(default=200.0, gt=1)
    # Completion webhooks (webhooks/): a private or loopback target is refused unless allowed (an
    # internal receiver; the tests); each attempt may take this long; failed attempts are retried
    # with exponential back-off from this first step, for this many hours after the event.
    webhook_allow_private: bool = False
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_retry_base_seconds: float = Field(default=5.0, gt=0)
    webhook_retry_hours: float = Field(default=24.0, gt=0)
    webhook_max_endpoints: int = Field(default=20, ge=1)
    # Rate limits and quotas (limiting/): counters in memory, or in Redis when set, shared by
    # every API process. Token requests per source address and per client id (the client's
    # count starts again after a success), checked before any secret is hashed; uploads per
    # client; a tenant's pending imports and the bytes of uploads it keeps stored (0: no quota).
    redis_url: str | None = None
    token_attempts_per_minute: int = Field(default=10, ge=1)
    token_address_attempts_per_minute: int = Field(default=300, ge=1)
    uploads_per_minute: int = Field(default=120, ge=1)
    tenant_max_pending_imports: int = Field(default=500, ge=1)
    tenant_max_stored_bytes: int = Field(default=50 * 1024 * MiB, ge=0)
    # GET /metrics answers only with ``Authorization: Bearer <this>`` when set.
    metrics_token: str | None = None
    # argon2id cost for passwords in imported files: OWASP's recommendation (m=19 MiB, t=2, p=1),
    # a deliberate balance for bulk imports of many accounts at once.
    password_time_cost: int = Field(default=2, ge=1)
    password_memory_kib: int = Field(default=19456, ge=8)

    @property
    def slice_rows(self) -> int:
        """Rows an import's stages hold at once: slices of 50,000 rows and parts of eight of them
        took a 1M-row groups create from 3.1 s to 2.5 s on SQLite and 4.1 s to 3.6 s on
        PostgreSQL, where 100,000-row parts of one slice each waited on every commit
        (docs/engine.md)."""
        return min(self.batch_rows, 50_000)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite:///{(self.data_dir / 'loadbay.db').resolve()}"

    @property
    def resolved_db_pool_size(self) -> int:
        if self.db_pool_size is not None:
            return self.db_pool_size
        # Every API thread and every worker at once, with room for requests between their
        # endpoint and its commit (the commit runs in a thread of its own).
        return API_THREADS + 2 * self.workers + 10

    @property
    def resolved_storage_url(self) -> str:
        if self.storage_url:
            return self.storage_url
        return (self.data_dir / "objects").resolve().as_uri()

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @cached_property
    def resolved_secret_key(self) -> str:
        """The configured key, else one generated on first use and kept in the data dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            try:
                # O_EXCL: when the API and a worker start together, only one key is ever written.
                with path.open("x", encoding="ascii") as handle:
                    handle.write(secrets.token_urlsafe(48))
                path.chmod(0o600)
            except FileExistsError:
                pass
        return path.read_text(encoding="ascii").strip()


def normalize_database_url(url: str) -> str:
    """Accept the usual ``postgresql://`` spelling and drive it with psycopg 3."""
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def get_settings() -> Settings:
    return Settings()
