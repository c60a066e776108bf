"""No whole signed URL in the logs (issue 16): the access log of a real server, and the filter."""

from __future__ import annotations

import logging

from loadbay.logs import RedactSignatures, redact


def test_redact_replaces_every_signature_and_nothing_else() -> None:
    url = "http://h/signed/import-csv/results/r.csv?expires=1&filename=a.csv&signature=abcDEF123"
    assert (
        redact(url) == "http://h/signed/import-csv/results/r.csv?expires=1&filename=a.csv&signature=REDACTED"
    )
    s3 = "https://s3/b/k?X-Amz-Algorithm=AWS4&X-Amz-Signature=0f9e8d&X-Amz-Date=2026"
    assert redact(s3) == "https://s3/b/k?X-Amz-Algorithm=AWS4&X-Amz-Signature=REDACTED&X-Amz-Date=2026"
    assert redact("GET /api/v1/imports?status=failed") == "GET /api/v1/imports?status=failed"
    # Spelled with percent-escapes, the server still reads it as the signature: the query goes.
    assert (
        redact("GET /signed/k.csv?expires=1&%73ignature=abc HTTP/1.1")
        == "GET /signed/k.csv?REDACTED HTTP/1.1"
    )
    assert redact("GET /api/v1/imports?status=a%20b") == "GET /api/v1/imports?status=a%20b"


def test_the_filter_rewrites_arguments_too() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, '%s "%s %s"', ("1.2.3.4", "GET", "/s?signature=zz"), None
    )
    RedactSignatures().filter(record)
    assert record.getMessage() == '1.2.3.4 "GET /s?signature=REDACTED"'
