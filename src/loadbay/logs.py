"""What Loadbay's logs may say: never a whole signed URL.

A signed download URL is a bearer credential until it expires: whoever reads it in a log can
fetch the result file. The access log writes every request's path and query, so the
signature of each URL is replaced before the line is written (Loadbay's own ``/signed/``
links and S3's presigned ``X-Amz-Signature``).
"""

from __future__ import annotations

import logging
import re

_SIGNATURE = re.compile(r"((?:^|[?&])(?:signature|x-amz-signature)=)[^&\s\"']+", re.IGNORECASE)
REDACTED = "REDACTED"


def redact(text: str) -> str:
    return _SIGNATURE.sub(rf"\g<1>{REDACTED}", text)


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
