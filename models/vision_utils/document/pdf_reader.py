"""PDF text and page images with PDFium (pypdfium2). Runs only inside the reader process (worker.py).

PDFium is fast and well kept, but a hostile PDF can make it allocate without bound or abort
the whole process (docs/research/documents.md), and it is not thread-safe: so it never runs
in the plugin's own process, and this module imports nothing of the plugin but the stdlib-only
helpers next to it.

What is read per page: its size in points, its text (cleaned, cut at the characters left), and
whether it wants a page image (a vision model gets one): little extractable text (a scan, a
slide, a figure), or a page mostly covered by pictures with little text beside them.
"""

from __future__ import annotations

import io
import math
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageChops

from models.vision_utils.document.cleanup import clean_text
from models.vision_utils.document.protocol import ReaderError

# A page with fewer characters than this is a scan, a slide or a figure: its image says more.
LOW_TEXT_CHARS = 200
# A page whose pictures cover this share of it, with less text than FIGURE_TEXT_CHARS, is a figure page.
FIGURE_SHARE = 0.35
FIGURE_TEXT_CHARS = 1500
# Picture objects looked at per page (a hostile page may hold millions).
MAX_OBJECTS_SEEN = 2000
# Pixels of one rendered page at most (the plugin asks for less: sizes.render_scale).
MAX_RENDER_PIXELS = 2048 * 2048
DEFAULT_PAGE_SIZE = (612.0, 792.0)  # US Letter, PDFium's own fallback
JPEG_QUALITY = 85
# PDFium's FPDF_ERR_* codes (pypdfium2 internal/consts.py) and what they mean to a user.
_LOAD_ERRORS = {
    4: ("password", "it is protected with a password; remove the password (print or export it again) and attach it"),
    5: ("password", "it uses a security handler PDFium does not support; export it again without protection"),
}


def open_pdf(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        code = getattr(error, "err_code", None)
        if code in _LOAD_ERRORS:
            raise ReaderError(*_LOAD_ERRORS[code]) from None
        if code == 0:  # pypdfium2 refuses a document of no pages with PDFium's "success"
            raise ReaderError("empty", "it has no pages") from None
        raise ReaderError("damaged", "it is damaged or not a complete PDF file") from None


def page_size(page: pdfium.PdfPage) -> tuple[float, float]:
    """The page's size in points; nonsense sizes (zero, negative, not finite) read as US Letter."""
    width, height = page.get_size()
    if not (math.isfinite(width) and math.isfinite(height)) or width <= 0 or height <= 0:
        return DEFAULT_PAGE_SIZE
    return max(width, 1.0), max(height, 1.0)


def picture_share(page: pdfium.PdfPage, size: tuple[float, float]) -> float:
    """The share of the page's area covered by pictures (top level and one form deep), at most 1."""
    area = size[0] * size[1]
    covered = 0.0
    for seen, item in enumerate(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2)):
        if seen >= MAX_OBJECTS_SEEN or covered >= area:
            break
        left, bottom, right, top = item.get_bounds()
        width = min(right, size[0]) - max(left, 0.0)
        height = min(top, size[1]) - max(bottom, 0.0)
        if width > 0 and height > 0:
            covered += width * height
    return min(covered / area, 1.0)


def wants_image(chars: int, share: float) -> bool:
    return chars < LOW_TEXT_CHARS or (share >= FIGURE_SHARE and chars < FIGURE_TEXT_CHARS)


def read_pdf(data: bytes, max_pages: int, max_chars: int) -> dict[str, Any]:
    """Per-page facts and text of the first `max_pages` pages, until `max_chars` characters are read."""
    pdf = open_pdf(data)
    total = len(pdf)
    pages: list[dict[str, Any]] = []
    left = max_chars
    cut = False
    for index in range(min(total, max_pages)):
        if left <= 0:
            cut = True
            break
        try:
            page = pdf[index]
        except pdfium.PdfiumError:
            pages.append(
                {"text": "", "w": DEFAULT_PAGE_SIZE[0], "h": DEFAULT_PAGE_SIZE[1], "image": False, "bad": True}
            )
            continue
        size = page_size(page)
        textpage = page.get_textpage()
        text = clean_text(textpage.get_text_bounded())
        textpage.close()
        chars = len(text.strip())
        share = picture_share(page, size) if chars < FIGURE_TEXT_CHARS else 0.0
        blank = chars == 0 and pdfium_c.FPDFPage_CountObjects(page) == 0  # nothing drawn: no image either
        page.close()
        if len(text) > left:
            text, cut = text[:left], True
        left -= len(text)
        facts = {"text": text, "w": size[0], "h": size[1], "image": not blank and wants_image(chars, share)}
        pages.append({**facts, "blank": True} if blank else facts)
        if cut:
            break
    encrypted = pdfium_c.FPDF_GetSecurityHandlerRevision(pdf) != -1  # opened without a password: owner-only
    pdf.close()
    return {"kind": "PDF", "total_pages": total, "pages": pages, "cut": cut, "encrypted": encrypted}


def render_pdf(data: bytes, requests: list[list[float]]) -> tuple[dict[str, Any], list[bytes]]:
    """Each requested page ([index, scale]) rendered and encoded as JPEG (greyscale when it has no colour)."""
    pdf = open_pdf(data)
    pdf.init_forms()  # filled-in form fields are part of what a reader sees (no JavaScript: no V8 in this build)
    sizes: list[list[int]] = []
    blobs: list[bytes] = []
    for index, scale in requests:
        page = pdf[int(index)]
        width, height = page_size(page)
        if math.ceil(width * scale) * math.ceil(height * scale) > MAX_RENDER_PIXELS * 1.05:
            raise ReaderError("limit", f"page {int(index) + 1} would render larger than the plugin allows")
        bitmap = page.render(scale=scale, may_draw_forms=True, rev_byteorder=True)
        image = bitmap.to_pil().convert("RGB")
        bitmap.close()
        page.close()
        blobs.append(_jpeg(image))
        sizes.append([int(index), image.width, image.height])
    pdf.close()
    return {"pages": sizes}, blobs


def _jpeg(image: Image.Image) -> bytes:
    """JPEG: fast to encode and small for scans; a page without colour is sent as greyscale."""
    if _colourless(image.resize((64, 64))):
        image = image.convert("L")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def _colourless(sample: Image.Image) -> bool:
    """No pixel of the sample differs between its channels by more than a little (scanner noise)."""
    red, green, blue = sample.split()
    spread = ImageChops.lighter(ImageChops.difference(red, green), ImageChops.difference(green, blue))
    return spread.getextrema()[1] <= 12
