"""Tell what an uploaded document is from its bytes; the client's file name and Content-Type are not asked.

Fed chunk by chunk while the upload streams, so the answer costs no second read of the object.
"""

from __future__ import annotations

import codecs
import csv

import filetype

from loadbay.kit.csvsniff import LineCount, detect_delimiter, detect_encoding

OCTET_STREAM = "application/octet-stream"
# filetype reads at most this many leading bytes.
HEAD_BYTES = 8192
# Text with one of these signatures is that format (PDF, RTF and PostScript can be plain ASCII).
# Other signatures are as short as two bytes ("MZ", "BM"), so valid text wins over them.
_TEXT_FORMATS = frozenset({"application/pdf", "application/rtf", "application/postscript"})
_CSV_SAMPLE_LINES = 50
_TEXT_ENCODINGS = {"utf-8": "utf-8-sig", "utf-16-le": "utf-16", "utf-16-be": "utf-16"}


class ContentSniffer:
    """Feed the document with :meth:`feed`, then ask :meth:`content_type`."""

    def __init__(self) -> None:
        self._head = bytearray()
        self._undecided = b""
        self._decoder: codecs.IncrementalDecoder | None = None
        self._encoding = "utf-8"
        self._size = 0
        self._lines = LineCount()
        self.is_text = True

    def feed(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if len(self._head) < HEAD_BYTES:
            self._head += chunk[: HEAD_BYTES - len(self._head)]
        if self.is_text:
            self._decode(chunk, final=False)

    def content_type(self) -> str:
        """The detected MIME type; text types name their charset. Call once, after the last chunk."""
        if self.is_text:
            self._decode(b"", final=True)
        head = bytes(self._head)
        signature = filetype.guess_mime(head) if head else None
        if self.is_text and self._size:
            if signature in _TEXT_FORMATS:
                return str(signature)
            charset = "utf-16" if self._encoding.startswith("utf-16") else "utf-8"
            kind = (
                "text/csv"
                if _looks_like_csv(head, self._encoding, whole=self._size <= HEAD_BYTES)
                else "text/plain"
            )
            return f"{kind}; charset={charset}"
        return str(signature) if signature else OCTET_STREAM

    def _decode(self, chunk: bytes, *, final: bool) -> None:
        if self._decoder is None:
            # A byte order mark is up to 3 bytes: decide the encoding once 4 are in.
            self._undecided += chunk
            if len(self._undecided) < 4 and not final:
                return
            chunk, self._undecided = self._undecided, b""
            self._encoding, _bom = detect_encoding(chunk)
            self._decoder = codecs.getincrementaldecoder(self._encoding)(errors="strict")
        try:
            text = self._decoder.decode(chunk, final=final)
        except UnicodeDecodeError:
            self.is_text = False
            return
        if "\x00" in text:
            self.is_text = False
            return
        self._lines.add(text)

    @property
    def physical_lines(self) -> int | None:
        """Lines of the document when it is text, header included; ask after :meth:`content_type`."""
        return self._lines.total if self.is_text else None


def _looks_like_csv(head: bytes, encoding: str, *, whole: bool) -> bool:
    """Its first lines split into the same number (two or more) of delimited fields."""
    text = head.decode(_TEXT_ENCODINGS[encoding], errors="ignore")
    lines = text.splitlines(keepends=True)
    if not whole and len(lines) > 1:
        lines = lines[:-1]  # cut by the end of the sample
    sample = lines[:_CSV_SAMPLE_LINES]
    if not sample:
        return False
    try:
        rows = [row for row in csv.reader(sample, delimiter=detect_delimiter(sample[0]), strict=True) if row]
    except csv.Error:
        return False
    return bool(rows) and len(rows[0]) >= 2 and all(len(row) == len(rows[0]) for row in rows)
