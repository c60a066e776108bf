"""Loadbay's logs: text or JSON lines, each line with its request's or import's fields, and
never a whole signed URL.

A signed download URL is a bearer credential until it expires: whoever reads it in a log can
fetch the result file. The access log writes every request's path and query, so the
signature of each URL is replaced before the line is written (Loadbay's own ``/signed/``
links and S3's presigned ``X-Amz-Signature``).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from urllib.parse import unquote

_SIGNATURE = re.compile(r"((?:^|[?&])(?:signature|x-amz-signature)=)[^&\s\"']+", re.IGNORECASE)
REDACTED = "REDACTED"


_QUERY = re.compile(r"\?[^\s\"']*")


def redact(text: str) -> str:
    text = _SIGNATURE.sub(rf"\g<1>{REDACTED}", text)
    if "%" in text and _SIGNATURE.search(unquote(text).replace(REDACTED, "")):
        # A signature spelled with percent-escapes (%73ignature=): the whole query goes.
        text = _QUERY.sub(f"?{REDACTED}", text)
    return text


class RedactSignatures(logging.Filter):
    """Rewrites a record's message and string arguments with every URL signature redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def install_redaction() -> None:
    """On every handler that writes Loadbay's or uvicorn's lines (a filter on a handler sees the
    records of child loggers too; one on a logger would not)."""
    for name in ("", "uvicorn", "uvicorn.access", "uvicorn.error"):
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, RedactSignatures) for f in handler.filters):
                handler.addFilter(RedactSignatures())


# -- structured logs ------------------------------------------------------------------------------

# What the lines of this request or import share: request_id, tenant, client_id, reference.
# One dict per request (or worker job), shared by the threads the request runs in: a thread
# copies the context, not the dict, so what auth adds in its thread shows in the access line.
_fields: ContextVar[dict[str, str] | None] = ContextVar("loadbay_log_fields", default=None)
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def annotate(**fields: object) -> None:
    """Add to the current request's or job's log fields (nothing outside one)."""
    current = _fields.get()
    if current is not None:
        current.update({k: str(v) for k, v in fields.items() if v is not None})


@contextmanager
def log_fields(**fields: object) -> Iterator[dict[str, str]]:
    """Lines logged inside carry ``fields`` (and what ``annotate`` adds)."""
    bound = {**(_fields.get() or {}), **{k: str(v) for k, v in fields.items() if v is not None}}
    token = _fields.set(bound)
    try:
        yield bound
    finally:
        _fields.reset(token)


def request_id_from(value: str | None) -> str:
    """The client's ``X-Request-ID`` when it is a sane token, else a new one."""
    if value and _REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp, level, logger, message, then the request's or job's
    fields; an exception's traceback as ``exception``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_fields.get() or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(*, json_lines: bool, level: str = "INFO") -> None:
    """The process's logging: text for a terminal, or JSON lines for a log pipeline. uvicorn's
    loggers go through the same handler when it is JSON (the caller passes log_config=None)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RedactSignatures())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request's whole URL at INFO: a webhook receiver's path may hold its token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if json_lines:
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            logger = logging.getLogger(name)
            logger.handlers[:] = []
            logger.propagate = True
