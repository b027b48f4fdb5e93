"""Tokens of a document as it will be sent, without rendering a page.

The count comes from the same plan the request is built from (document/plan.py, over the
extraction cached by content hash): the composed text, counted like any text, and each page
image by the size it will be rendered at, priced by the model's image-token rule. A page
image the image converter must shrink further to meet the request's byte cap costs fewer
tokens than counted, never more.
"""

from __future__ import annotations

from typing import Any

from models.vision_utils.document.compose import compose
from models.vision_utils.document.plan import DocumentPlan, PageImage, PagePlan
from models.vision_utils.tokens.prompt import COUNTED_IMAGE
from models.vision_utils.tokens.text import count_text


def _counted_image(_plan: DocumentPlan, _page: PagePlan, image: PageImage) -> dict[str, Any]:
    return {"type": COUNTED_IMAGE, "tokens": image.tokens}


def counted_parts(plan: DocumentPlan) -> list[dict[str, Any]]:
    """The document's parts as counted: its text parts, and a COUNTED_IMAGE part per page image."""
    return compose(plan, _counted_image)


def document_tokens(plan: DocumentPlan) -> int:
    parts = counted_parts(plan)
    text = "\n".join(part["text"] for part in parts if part["type"] == "text")
    return count_text(text) + sum(part["tokens"] for part in parts if part["type"] == COUNTED_IMAGE)
