"""What of one document is sent: pure decisions over its pages and the request's budgets.

The request and its token count make the same plan from the same extraction, so what is
counted is what is sent. Pages go in order, each with its text and (for a vision model, when
it carries little text) its page image, while the document's and the request's budgets last:
characters, tokens (text and page images; never more than the model's context leaves) and page
images. The first page that does not fit is cut (its text shortened) and the rest left out;
page images that run out leave the later pages as text. Every cut becomes a note the model
reads, in the document itself, and the plugin log.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from models.vision_utils.document.extract import Extraction, Page
from models.vision_utils.document.limits import RENDER_DPI, DocumentLimits
from models.vision_utils.image.policy import ImagePolicy
from models.vision_utils.tokens.text import count_text

# Tokens of a page marker line at most ("[page 12 of 300: no extractable text; its image follows]"),
# and of the document's own lines (its opening tag, preamble and closing tag, and up to two notes);
# tests/unit/test_document_compose.py holds every marker and note to these bounds.
MARKER_TOKENS = 24
WRAPPER_TOKENS = 200
# A cut page keeps at least this many tokens of text, or is left out whole.
MIN_CUT_TOKENS = 20


@dataclass(frozen=True)
class PageImage:
    scale: float  # PDF points -> pixels
    size: tuple[int, int]
    tokens: int


@dataclass(frozen=True)
class PagePlan:
    number: int
    text: str
    image: PageImage | None = None
    note: str = ""  # said in the page's marker: no text, unreadable, blank, image left out


@dataclass(frozen=True)
class DocumentPlan:
    name: str
    kind: str
    paged: bool
    total_pages: int
    pages: tuple[PagePlan, ...]
    notes: tuple[str, ...]
    digest: str

    @property
    def page_images(self) -> int:
        return sum(page.image is not None for page in self.pages)


@dataclass
class Budget:
    """What the request has left for documents; `tokens_by` names what bounds its tokens."""

    chars: int
    tokens: int
    images: int
    tokens_by: str


def page_image(size_pt: tuple[float, float], policy: ImagePolicy) -> PageImage:
    """The size a page is rendered at (RENDER_DPI, within the model's high-detail limits) and its tokens."""
    width, height = size_pt
    limits = policy.high
    scale = min(RENDER_DPI / 72, (limits.max_edge - 0.5) / max(width, height))
    scale = min(scale, math.sqrt(limits.max_pixels / (width * height)))
    while True:  # PDFium rounds each side up: the rounded size must still fit the caps
        size = (max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale)))
        if size[0] * size[1] <= limits.max_pixels:
            return PageImage(scale, size, policy.tokens.tokens(*size))
        scale *= 0.999


def _cut_text(page: Page, tokens: int, chars: int) -> str:
    """The page's text shortened to at most `tokens` tokens and `chars` characters (on a word boundary)."""
    keep = min(chars, len(page.text) * tokens // max(page.tokens, 1))
    text = page.text[:keep]
    while text and count_text(text) > tokens:
        text = text[: len(text) * 9 // 10]
    space = text.rfind(" ", len(text) * 3 // 4)
    return text[:space] if space > 0 else text


def _page_note(page: Page, vision: bool, kind: str) -> str:
    if page.unreadable:
        return "this page could not be read"
    if page.blank:
        return "blank page"
    if not page.text.strip() and kind == "PDF":
        return "no extractable text; its image follows" if vision else "no extractable text (a scan or a picture)"
    return ""


def plan_document(
    extraction: Extraction, name: str, limits: DocumentLimits, budget: Budget, policy: ImagePolicy | None
) -> DocumentPlan:
    """Plan one document and take what it uses from `budget`."""
    doc_tokens = min(limits.max_tokens, budget.tokens) - WRAPPER_TOKENS
    doc_chars = min(limits.max_chars, budget.chars)
    tokens_by = "tokens per document" if limits.max_tokens < budget.tokens else budget.tokens_by
    tokens_limit = f"{tokens_by}: {min(limits.max_tokens, budget.tokens):,}"
    chars_by = "characters per document" if limits.max_chars < budget.chars else "characters of documents per request"
    notes: list[str] = []
    pages: list[PagePlan] = []
    tokens_used = chars_used = 0
    images_note = False
    last = 0
    for page in extraction.pages:
        marker = MARKER_TOKENS if extraction.paged else 0
        text, cut_by = page.text, ""
        if tokens_used + marker + page.tokens > doc_tokens:
            cut_by = tokens_limit
        elif chars_used + len(text) > doc_chars:
            cut_by = f"{chars_by}: {doc_chars:,}"
        if cut_by:
            room = doc_tokens - tokens_used - marker
            text = _cut_text(page, room, doc_chars - chars_used) if room >= MIN_CUT_TOKENS else ""
            if text:
                pages.append(PagePlan(page.number, text, note="cut here"))
                last = page.number
            notes.append(_cut_note(extraction, last, len(text) + chars_used, cut_by))
            tokens_used += marker + count_text(text) if text else 0
            chars_used += len(text)
            break
        tokens_used += marker + page.tokens
        chars_used += len(text)
        image = None
        vision = policy is not None and page.wants_image and not (page.unreadable or page.blank or images_note)
        if vision and policy is not None:
            planned = page_image(page.size_pt, policy)
            if budget.images > 0 and tokens_used + planned.tokens <= doc_tokens:
                image = planned
                tokens_used += planned.tokens
                budget.images -= 1
            else:
                if not images_note:
                    notes.append(_images_note(page.number, limits, tokens_limit if budget.images > 0 else ""))
                    images_note = True
                vision = False
        pages.append(PagePlan(page.number, text, image, _page_note(page, vision, extraction.kind)))
        last = page.number
    else:
        if extraction.total_pages > len(extraction.pages) and not extraction.cut_chars:
            read = len(extraction.pages)
            notes.append(
                f"[Document cut after page {read} of {extraction.total_pages}: the rest is not included "
                f"(limit: pages per document: {limits.max_pages:,}).]"
            )
        elif extraction.cut_chars:
            notes.append(_cut_note(extraction, last, chars_used, f"characters per document: {limits.max_chars:,}"))
    budget.tokens -= tokens_used + WRAPPER_TOKENS
    budget.chars -= chars_used
    return DocumentPlan(
        name, extraction.kind, extraction.paged, extraction.total_pages, tuple(pages), tuple(notes), extraction.digest
    )


def _images_note(page: int, limits: DocumentLimits, tokens_limit: str) -> str:
    limit = tokens_limit or f"page images per request: {limits.page_images}"
    return f"[Page images stop before page {page}: later pages are text only (limit: {limit}).]"


def _cut_note(extraction: Extraction, last_page: int, chars: int, limit: str) -> str:
    if extraction.paged:
        where = f"after page {last_page} of {extraction.total_pages}" if last_page else "before its first page"
    else:
        where = f"after {chars:,} characters"
    return f"[Document cut {where}: the rest is not included (limit: {limit}).]"
