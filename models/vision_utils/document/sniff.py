"""What a document is, from its content; Dify's MIME type and file extension only name the kind of text.

Dify guesses `mime_type` at upload from the file name, so a renamed file would fool it; the
bytes decide which reader runs. Text is text whatever its extension (XML, VTT, logs are
readable as they are); binary formats the plugin has no reader for are refused with a
sentence that names the formats it reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.vision_utils.document.encoding import bom_encoding
from models.vision_utils.download.fetch import looks_like_image

SUPPORTED = "PDF, DOCX, plain text, Markdown, CSV, JSON and HTML"
# PDF readers accept the header anywhere in the first kilobyte (ISO 32000-1, 7.5.2 implementations).
PDF_SEARCH_BYTES = 1024
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OTHER_BINARIES = (
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"ID3", "an audio file"),
    (b"OggS", "an audio or video file"),
    (b"fLaC", "an audio file"),
    (b"\x1a\x45\xdf\xa3", "a video file"),
)
_HTML_START = re.compile(rb"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)[\s>]", re.IGNORECASE | re.DOTALL)
_HTML_HINTS = {"html", "htm", "xhtml", "text/html", "application/xhtml+xml"}
_TEXT_KINDS = (
    ({"md", "markdown", "mdx", "text/markdown", "text/x-markdown"}, "Markdown"),
    ({"csv", "text/csv"}, "CSV"),
    ({"json", "application/json"}, "JSON"),
)
# A text file has no NUL byte and few other control bytes in its first kilobytes.
TEXT_PROBE_BYTES = 8192


class NotReadable(ValueError):
    """The content is of a kind the plugin has no reader for; the message says what it is."""


@dataclass(frozen=True)
class Sniffed:
    reader: str  # "pdf", "docx", "html" or "text"
    kind: str  # what the model is told the file is


def _hints(mime: str, filename: str, extension: str) -> set[str]:
    hints = {mime.lower().split(";")[0].strip(), extension.lower().lstrip(".")}
    if "." in filename:
        hints.add(filename.rsplit(".", 1)[1].lower())
    return hints - {""}


def looks_like_text(raw: bytes) -> bool:
    if bom_encoding(raw):
        return True
    probe = raw[:TEXT_PROBE_BYTES]
    if b"\x00" in probe:
        return False
    controls = sum(probe.count(bytes([code])) for code in (*range(1, 9), 11, *range(14, 27), *range(28, 32)))
    return controls * 20 <= len(probe)


def sniff(raw: bytes, mime: str = "", filename: str = "", extension: str = "") -> Sniffed:
    """The reader for `raw`; NotReadable for anything else."""
    if not raw:
        raise NotReadable("it is empty")
    if b"%PDF-" in raw[:PDF_SEARCH_BYTES]:
        return Sniffed("pdf", "PDF")
    if raw.startswith(_ZIP):
        return Sniffed("docx", "DOCX")  # the reader tells Word documents from other ZIP-based files
    if raw.startswith(_OLE):
        raise NotReadable("it is an older Office file (DOC, XLS, PPT, MSG) or a password-protected Office file")
    if looks_like_image(raw[:16]):
        raise NotReadable("it is an image; attach it as an image instead")
    for signature, what in _OTHER_BINARIES:
        if raw.startswith(signature):
            raise NotReadable(f"it is {what}")
    if not looks_like_text(raw):
        raise NotReadable("it is a binary file of a kind the plugin does not read")
    hints = _hints(mime, filename, extension)
    if hints & _HTML_HINTS or _HTML_START.match(raw.removeprefix(b"\xef\xbb\xbf")[:4096]):
        return Sniffed("html", "HTML")
    for names, kind in _TEXT_KINDS:
        if hints & names:
            return Sniffed("text", kind)
    return Sniffed("text", "text")
