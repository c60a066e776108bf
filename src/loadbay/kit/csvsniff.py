"""Recognise how a spreadsheet exported a CSV file: encoding, byte order mark, delimiter."""

from __future__ import annotations

import codecs

DELIMITERS = (",", ";", "\t")


class NotCsvError(ValueError):
    """The bytes are not CSV text Loadbay can read; the message says what to fix."""


def detect_encoding(head: bytes) -> tuple[str, int]:
    """The text encoding named by a byte order mark, else UTF-8."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", len(codecs.BOM_UTF8)
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    return "utf-8", 0


def detect_delimiter(header_line: str) -> str:
    """The delimiter that splits the header row into the most columns (``,`` on a tie)."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


class LineCount:
    """Physical lines of decoded text fed piece by piece; a last line without a newline counts."""

    def __init__(self) -> None:
        self._newlines = 0
        self._ends_with_newline = True

    def add(self, text: str) -> None:
        if text:
            self._newlines += text.count("\n")
            self._ends_with_newline = text.endswith("\n")

    @property
    def total(self) -> int:
        return self._newlines + (0 if self._ends_with_newline else 1)


class TextChecker:
    """Checks a byte stream chunk by chunk: decodable text with no NUL and a header row.

    Fed the upload as it streams, so a bad file is refused before it is stored.
    """

    def __init__(self) -> None:
        self._decoder: codecs.IncrementalDecoder | None = None
        self._head = b""
        self._offset = 0
        self._first_line = ""
        self._header_seen = False
        self._lines = LineCount()

    @property
    def physical_lines(self) -> int:
        """Lines of the text fed so far, header included; a last line without a newline counts."""
        return self._lines.total

    def feed(self, chunk: bytes) -> None:
        if self._decoder is None:
            self._head += chunk
            if len(self._head) < 4:
                return
            chunk, self._head = self._head, b""
            self._start(chunk)
        self._decode(chunk, final=False)

    def finish(self) -> None:
        chunk = b""
        if self._decoder is None:
            # A file shorter than a byte order mark: its bytes are still held back, undecoded.
            chunk, self._head = self._head, b""
            self._start(chunk)
        self._decode(chunk, final=True)
        if not self._first_line.strip(" \ufeff\r\n"):
            raise NotCsvError(
                "The file has no header row: the first line must name the columns, "
                "for example user_username,user_password,user_organizationId."
            )

    def _start(self, chunk: bytes) -> None:
        encoding, _bom = detect_encoding(chunk)
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        if not chunk:
            raise NotCsvError("The file is empty: a CSV file needs a header row and data rows.")

    def _decode(self, chunk: bytes, *, final: bool) -> None:
        assert self._decoder is not None
        # Bytes the decoder still holds from the previous chunk are already in self._offset.
        held = len(self._decoder.getstate()[0])
        try:
            text = self._decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:
            raise NotCsvError(
                f"The file is not UTF-8 or UTF-16 text (byte {self._offset - held + exc.start + 1} "
                "cannot be decoded); save it from your spreadsheet as 'CSV UTF-8'."
            ) from exc
        if "\x00" in text:
            raise NotCsvError("The file contains NUL bytes, so it is not a CSV text file.")
        self._lines.add(text)
        if not self._header_seen:
            self._first_line += text
            if "\n" in self._first_line:
                self._first_line = self._first_line.split("\n", 1)[0]
                self._header_seen = True
            elif len(self._first_line) > 1_000_000:
                raise NotCsvError("The first line is over a million characters: it is no header row.")
        self._offset += len(chunk)
