"""How a script reads an import's end: the exit codes of ``loadbay push`` and ``loadbay imports``."""

from __future__ import annotations

from enum import IntEnum

from loadbay.client.schemas import Import


class ExitCode(IntEnum):
    OK = 0
    # Processed, but some rows were refused: the others are written (unless a dry run).
    FAILED_ROWS = 1
    # The import failed as a whole (header fits no template, abort on error, ...) or the server
    # refused the file itself: nothing was written; fix the file.
    IMPORT_FAILED = 2
    # The command, the credentials or the connection: nothing was imported; fix the setup.
    USAGE = 3
    # The shell's convention for Ctrl-C; an accepted import goes on on the server.
    INTERRUPTED = 130


def exit_code_of(item: Import) -> ExitCode:
    """0 processed cleanly (or still pending), 1 processed with failed rows, 2 failed or cancelled."""
    if item["status"] in ("failed", "cancelled"):
        return ExitCode.IMPORT_FAILED
    if item["status"] == "processed" and item["counts"]["failed"]:
        return ExitCode.FAILED_ROWS
    return ExitCode.OK
