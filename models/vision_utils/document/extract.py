"""One document's bytes -> its pages of text and their facts, read once per content.

PDF, DOCX and HTML go to the limited reader process (reader.py); plain text is decoded here,
off the request's greenlet. Each page's tokens are counted once, with the bundled tokenizer,
so the token count and the request need no second reading. Results and refusals are cached by
content hash and the limits they were read under.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from models.common.threads import run_blocking
from models.vision_utils.document.cache import WeightedCache
from models.vision_utils.document.cleanup import clean_text
from models.vision_utils.document.encoding import decode_text
from models.vision_utils.document.limits import DocumentLimits
from models.vision_utils.document.protocol import ReaderError
from models.vision_utils.document.reader import run_reader
from models.vision_utils.document.sniff import Sniffed
from models.vision_utils.tokens.text import count_text

logger = logging.getLogger(__name__)

# Characters of extracted text held across requests (about 2-4 bytes each).
CACHED_CHARS = 16_000_000
_extractions: WeightedCache[Extraction] = WeightedCache(CACHED_CHARS)
_refusals: WeightedCache[ReaderError] = WeightedCache(512)


@dataclass(frozen=True)
class Page:
    number: int  # 1-based
    text: str
    tokens: int
    size_pt: tuple[float, float]
    wants_image: bool  # little text: a scan, a slide, a figure
    unreadable: bool = False
    blank: bool = False


@dataclass(frozen=True)
class Extraction:
    digest: str
    kind: str  # PDF, DOCX, HTML, Markdown, CSV, JSON, text
    paged: bool  # real pages (PDF); other formats are one flow of text
    total_pages: int
    pages: tuple[Page, ...]
    cut_chars: bool  # reading stopped at the characters allowed per document
    size_bytes: int

    @property
    def chars(self) -> int:
        return sum(len(page.text) for page in self.pages)


def digest_of(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _read_text(raw: bytes, max_chars: int) -> tuple[str, bool]:
    decoded = decode_text(raw)
    text = clean_text(decoded[: max_chars * 2])  # cleaning only ever removes characters
    return text[:max_chars], len(text) > max_chars or len(decoded) > max_chars * 2


def _pages_tokens(texts: list[str]) -> list[int]:
    return [count_text(text) for text in texts]


def _extract(raw: bytes, digest: str, sniffed: Sniffed, limits: DocumentLimits) -> Extraction:
    if sniffed.reader == "text":
        text, cut = run_blocking(_read_text, raw, limits.max_chars)
        facts = [{"text": text, "w": 0, "h": 0, "image": False}]
        header = {"total_pages": 1, "pages": facts, "cut": cut}
    else:
        job = {"op": "read", "format": sniffed.reader, "max_pages": limits.max_pages, "max_chars": limits.max_chars}
        answer = run_reader(job, raw, limits.reader)
        header = answer.header
        logger.info(
            "document %s… (%s, %.1f MB): %d of %d pages, %d characters read in %.2f s (reader peak %d MB)",
            digest[:12],
            sniffed.kind,
            len(raw) / 2**20,
            len(header["pages"]),
            header["total_pages"],
            sum(len(page["text"]) for page in header["pages"]),
            answer.seconds,
            header.get("peak_kb", 0) // 1024,
        )
    facts = header["pages"]
    tokens = run_blocking(_pages_tokens, [str(page["text"]) for page in facts])
    pages = tuple(
        Page(
            number=index + 1,
            text=str(page["text"]),
            tokens=count,
            size_pt=(float(page["w"]), float(page["h"])),
            wants_image=bool(page["image"]),
            unreadable=bool(page.get("bad")),
            blank=bool(page.get("blank")),
        )
        for index, (page, count) in enumerate(zip(facts, tokens, strict=True))
    )
    return Extraction(
        digest=digest,
        kind=sniffed.kind,
        paged=sniffed.reader == "pdf",
        total_pages=int(header["total_pages"]),
        pages=pages,
        cut_chars=bool(header["cut"]),
        size_bytes=len(raw),
    )


def extract(raw: bytes, sniffed: Sniffed, limits: DocumentLimits) -> Extraction:
    """The document's pages; ReaderError (cached too) when a reader refuses or breaks on it."""
    digest = digest_of(raw)
    key = (digest, sniffed, limits.max_pages, limits.max_chars, limits.reader)
    refused = _refusals.get(key)
    if refused is not None:
        raise refused
    found = _extractions.get(key)
    if found is not None:
        return found
    try:
        extraction = _extract(raw, digest, sniffed, limits)
    except ReaderError as error:
        logger.info("document %s… (%s) refused: %s: %s", digest[:12], sniffed.kind, error.kind, error.message)
        _refusals.put(key, error, 1)
        raise
    _extractions.put(key, extraction, extraction.chars + 1000)
    return extraction


def clear_caches() -> None:
    _extractions.clear()
    _refusals.clear()
