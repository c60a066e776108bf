"""What can go wrong on the client side, each with the exit code a script reads."""

from __future__ import annotations

import json

from loadbay.client.outcome import ExitCode


class ClientError(Exception):
    """Something the command could not do; ``str()`` is the one line shown to the person."""

    exit_code = ExitCode.USAGE


class UsageError(ClientError):
    """A problem with the command line or the environment, found before any request."""


class ServerUnreachable(ClientError):
    """No answer from the server: refused, timed out, or the connection dropped."""


class ApiError(ClientError):
    """The server answered with an error status; ``message`` is what it said."""

    def __init__(self, status_code: int, message: str, *, hint: str = "") -> None:
        self.status_code = status_code
        self.message = message
        super().__init__(f"{message} (HTTP {status_code}){f': {hint}' if hint else ''}")


class FileRefused(ApiError):
    """The server refused the uploaded file itself (not CSV, empty, too large): fix the file."""

    exit_code = ExitCode.IMPORT_FAILED


class NoTemplateFits(ClientError):
    """The file's header fits no template it could be imported as; found before uploading it."""

    exit_code = ExitCode.IMPORT_FAILED


def server_message(status_code: int, content_type: str, body: bytes) -> str:
    """The sentence the server put in an error body, whichever of its shapes it used.

    ``{"message": ...}`` from the API, the batches API's ``BaseCommandResponse``
    (``{"success", "code", "errorMessage"}``), RFC 6749's ``{"error", "error_description"}`` from
    the token endpoint, or plain text (``Access Denied`` for a refused token); anything else (a
    proxy's HTML page) is summarised rather than dumped on the terminal.
    """
    text = body.decode("utf-8", errors="replace").strip()
    if "json" in content_type:
        try:
            payload = json.loads(text)
        except ValueError:
            payload = None
        if isinstance(payload, dict):
            for key in ("message", "errorMessage"):
                if isinstance(payload.get(key), str):
                    return str(payload[key])
            if isinstance(payload.get("error"), str):
                return str(payload.get("error_description") or payload["error"])
    if content_type.startswith("text/plain") and text and len(text) <= 500:
        return text
    return f"the server answered HTTP {status_code} without a message"
