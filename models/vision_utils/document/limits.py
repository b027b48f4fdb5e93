"""The limits documents are read and sent within (an administrator sets them: provider/settings.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from models.vision_utils.document.reader import ReaderLimits
from provider.settings import Settings, settings

# AtlasCloud refuses request bodies over 50 MB: a larger document could never be sent on.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
# Page images are rendered at this resolution, then fitted to the model's image limits (2048 px
# by default): 150 dpi keeps 9-point text legible to a vision model on a Letter or A4 page.
RENDER_DPI = 150
# cl100k_base estimates other models' token counts; documents may fill this share of what the
# model's context leaves, so an estimate a little low still fits.
CONTEXT_SHARE = 0.9


@dataclass(frozen=True)
class DocumentLimits:
    max_pages: int = Settings.document_max_pages
    max_chars: int = Settings.document_max_chars
    max_tokens: int = Settings.document_max_tokens
    request_max_chars: int = Settings.document_request_max_chars
    request_max_tokens: int = Settings.document_request_max_tokens
    page_images: int = Settings.document_page_images
    reader: ReaderLimits = field(default_factory=ReaderLimits)
    max_bytes: int = MAX_DOCUMENT_BYTES

    @classmethod
    def from_settings(cls, values: Settings | None = None) -> DocumentLimits:
        values = values or settings()
        return cls(
            max_pages=values.document_max_pages,
            max_chars=min(values.document_max_chars, values.document_request_max_chars),
            max_tokens=min(values.document_max_tokens, values.document_request_max_tokens),
            request_max_chars=values.document_request_max_chars,
            request_max_tokens=values.document_request_max_tokens,
            page_images=values.document_page_images,
            reader=ReaderLimits(values.document_read_memory_mb, values.document_read_timeout_s),
        )
