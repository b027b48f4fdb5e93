"""The text of a Word document (DOCX), with the stdlib only: zipfile and expat. Runs in the reader process.

Only the main document part is read (never images, headers or embedded files), and it is
streamed: its declared size is checked before anything is inflated, the bytes really inflated
are counted (a lying header stops there too), and expat is fed 1 MiB at a time and builds no
tree, so memory stays flat whatever the nesting. Any DTD is refused, which also stops entity
expansion (billion laughs, quadratic blowup) and external entities (XXE). Reading stops once
the characters the plugin asked for are in.

Text in document order: paragraphs, table cells (tab-separated, a row per line) and nested
tables, content controls, the chosen branch of alternate content. Left out: deleted text
(tracked changes), field codes, and runs hidden from the reader (`w:vanish`), a common place
to hide instructions meant for a model.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from typing import Any
from xml.parsers import expat

from models.vision_utils.document.cleanup import clean_text
from models.vision_utils.document.protocol import ReaderError

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
MAIN_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
DEFAULT_MAIN_PART = "word/document.xml"
MAX_MEMBERS = 10_000
# The main part's uncompressed size: a 500-page Word document is ~10 MB of XML.
MAX_PART_BYTES = 64 * 1024 * 1024
MAX_RELS_BYTES = 1024 * 1024
MAX_DEPTH = 1000
CHUNK_BYTES = 1024 * 1024
# Members that tell what another Office or zip format is, for a useful refusal.
_OTHER_FORMATS = (
    ("xl/", "an Excel workbook (XLSX)"),
    ("ppt/", "a PowerPoint presentation (PPTX)"),
    ("META-INF/container.xml", "an EPUB book"),
    ("content.xml", "an OpenDocument file (ODT, ODS, ODP)"),
)
_SKIPPED = {f"{W} delText", f"{W} instrText", f"{MC} Fallback", f"{W} del"}
_IN_RUN = {f"{W} tab": "\t", f"{W} br": "\n", f"{W} cr": "\n", f"{W} noBreakHyphen": "-"}


class _Full(Exception):
    """Enough characters are in: stop parsing."""


def _parser() -> expat.XMLParserType:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True

    def refuse_dtd(*_: object) -> None:
        raise ReaderError("format", "its XML declares a DTD, which Word never writes (entity tricks are refused)")

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    return parser


def _stream(archive: zipfile.ZipFile, info: zipfile.ZipInfo, parser: expat.XMLParserType, cap: int) -> None:
    """Feed one member to `parser`, counting the bytes inflated against `cap`."""
    inflated = 0
    with archive.open(info) as member:
        while chunk := member.read(CHUNK_BYTES):
            inflated += len(chunk)
            if inflated > cap:
                raise ReaderError("limit", f"its text part inflates past {cap // 2**20} MB")
            parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _main_part(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    """The main document part named by the package relationships, else Word's usual name."""
    if "_rels/.rels" in names:
        targets: list[str] = []
        parser = _parser()

        def start(name: str, attrs: dict[str, str]) -> None:
            if name == f"{RELATIONSHIPS} Relationship" and attrs.get("Type") == MAIN_DOCUMENT:
                targets.append(attrs.get("Target", "").lstrip("/"))

        parser.StartElementHandler = start
        info = archive.getinfo("_rels/.rels")
        if info.file_size <= MAX_RELS_BYTES:
            _stream(archive, info, parser, MAX_RELS_BYTES)
            if targets and targets[0] in names:
                return targets[0]
    return DEFAULT_MAIN_PART if DEFAULT_MAIN_PART in names else None


class _WordText:
    """expat callbacks collecting a document part's visible text; nothing is kept but the text."""

    def __init__(self, max_chars: int) -> None:
        self.pieces: list[str] = []
        self.chars = 0
        self.max_chars = max_chars
        self.stack: list[str] = []
        self.skipping = 0
        self.hidden = False
        self.in_text = False
        self.cells = 0

    def _add(self, text: str) -> None:
        self.pieces.append(text)
        self.chars += len(text)
        if self.chars > self.max_chars:
            raise _Full

    def start(self, name: str, attrs: dict[str, str]) -> None:
        parent = self.stack[-1] if self.stack else ""
        self.stack.append(name)
        if len(self.stack) > MAX_DEPTH:
            raise ReaderError("nesting", f"its XML is nested more than {MAX_DEPTH} levels deep")
        if name in _SKIPPED:
            self.skipping += 1
        elif name == f"{W} r":
            self.hidden = False
        elif name == f"{W} vanish" and len(self.stack) >= 3 and self.stack[-3] == f"{W} r":
            self.hidden = attrs.get(f"{W} val", "true").lower() not in ("0", "false", "off")
        elif name == f"{W} t":
            self.in_text = True
        elif name == f"{W} tc":
            self.cells += 1
        elif name in _IN_RUN and parent == f"{W} r" and not (self.skipping or self.hidden):
            self._add(_IN_RUN[name])

    def end(self, name: str) -> None:
        self.stack.pop()
        if name in _SKIPPED:
            self.skipping -= 1
        elif name == f"{W} t":
            self.in_text = False
        elif name == f"{W} p" and not self.skipping:
            self._add(" " if self.cells else "\n")
        elif name == f"{W} tc":
            self.cells -= 1
            if self.pieces and self.pieces[-1] == " ":  # the cell's last paragraph end
                self.pieces[-1] = "\t"
            else:
                self._add("\t")
        elif name == f"{W} tr":
            self._add("\n")

    def text(self, data: str) -> None:
        if self.in_text and not (self.skipping or self.hidden):
            self._add(data)


def read_docx(data: bytes, max_chars: int) -> dict[str, Any]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise ReaderError("damaged", "it is not a complete ZIP archive, so not a readable DOCX file") from None
    if len(infos) > MAX_MEMBERS:
        raise ReaderError("limit", f"its archive holds more than {MAX_MEMBERS} files")
    names = {info.filename for info in infos}
    collector = _WordText(max_chars)
    cut = False
    try:
        main = _main_part(archive, names)
        if main is None:
            what = next((label for prefix, label in _OTHER_FORMATS if any(n.startswith(prefix) for n in names)), None)
            raise ReaderError("format", f"it is {what or 'a ZIP archive'}, not a Word document")
        info = archive.getinfo(main)
        if info.file_size > MAX_PART_BYTES:
            size, cap = info.file_size // 2**20, MAX_PART_BYTES // 2**20
            raise ReaderError("limit", f"its text part is {size} MB uncompressed, over {cap} MB")
        parser = _parser()
        parser.StartElementHandler = collector.start
        parser.EndElementHandler = collector.end
        parser.CharacterDataHandler = collector.text
        _stream(archive, info, parser, MAX_PART_BYTES)
    except _Full:
        cut = True
    except expat.ExpatError as error:
        reason = expat.ErrorString(error.code)
        raise ReaderError("damaged", f"its text part is not well-formed XML ({reason})") from None
    except RuntimeError as error:  # zipfile: an encrypted member
        raise ReaderError("password", f"its archive is encrypted ({error})") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
        raise ReaderError("damaged", f"its archive is damaged ({error})") from None
    text = clean_text("".join(collector.pieces))[:max_chars]
    return {"kind": "DOCX", "total_pages": 1, "pages": [{"text": text, "w": 0, "h": 0, "image": False}], "cut": cut}
