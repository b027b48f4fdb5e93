"""A Dify document part's bytes: inline base64 (Dify's default) or a URL, downloaded under the image policy."""

from __future__ import annotations

import base64
import binascii

from dify_plugin.entities.model.message import DocumentPromptMessageContent

from models.vision_utils.content import inline_text
from models.vision_utils.download.fetch import fetch_document
from provider.errors.tree import DocumentError


def display_name(part: DocumentPromptMessageContent) -> str:
    """The file name as the user knows it, made safe to quote: no control characters, quotes or
    angle brackets (it goes inside the plugin's own delimiters), at most 120 characters."""
    name = part.filename or (f"document.{part.format}" if part.format else "document")
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>`')
    return name[:120] or "document"


def document_bytes(part: DocumentPromptMessageContent, max_bytes: int) -> bytes:
    """The document's bytes; DocumentError (or DownloadError) when there are none or too many."""
    encoded = inline_text(part)
    if encoded:
        if len(encoded) // 4 * 3 > max_bytes + 3:  # checked before decoding: no copy of an oversized file
            raise DocumentError(f"it is larger than the {max_bytes // 2**20} MB AtlasCloud accepts in one request")
        try:
            return base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as error:
            raise DocumentError("its data is not valid base64") from error
    if part.url:
        return fetch_document(part.url)
    raise DocumentError("the document part has neither data nor a URL")
