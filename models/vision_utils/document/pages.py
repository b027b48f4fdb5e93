"""Page images of a PDF: rendered by the reader process, then sent through the image converter.

The reader renders each planned page at its planned size and encodes it as JPEG; the image
converter then treats it like any uploaded image: within the process's image memory budget
and the request's byte cap (image/part.py), so a request with many pages stays under
AtlasCloud's 50 MB. Prepared page images are cached by document hash, page and limits:
Dify sends a conversation's documents again on every turn.
"""

from __future__ import annotations

import logging
from typing import Any

from models.vision_utils.document.cache import WeightedCache
from models.vision_utils.document.plan import DocumentPlan
from models.vision_utils.document.protocol import ReaderError
from models.vision_utils.document.reader import ReaderLimits, run_reader
from models.vision_utils.image.convert import PreparedImage
from models.vision_utils.image.part import prepare_within_budget
from models.vision_utils.image.policy import ImagePolicy

logger = logging.getLogger(__name__)
CACHED_BYTES = 32 * 1024 * 1024
_prepared: WeightedCache[PreparedImage] = WeightedCache(CACHED_BYTES)


def page_images(
    raw: bytes, plan: DocumentPlan, policy: ImagePolicy, images_in_request: int, reader: ReaderLimits
) -> dict[int, dict[str, Any]]:
    """Page number -> the OpenAI image part for every page the plan gives an image.

    Raises ReaderError when the reader breaks on a page, ImageError when the converter refuses one."""
    limits = policy.limits("high", images_in_request)
    prepared: dict[int, PreparedImage] = {}
    todo = []
    for page in plan.pages:
        if page.image is None:
            continue
        found = _prepared.get((plan.digest, page.number, page.image.scale, limits))
        if found is not None:
            prepared[page.number] = found
        else:
            todo.append(page)
    if todo:
        wanted = [[page.number - 1, page.image.scale] for page in todo if page.image]
        job = {"op": "render", "format": "pdf", "pages": wanted}
        answer = run_reader(job, raw, reader)
        logger.info(
            "document %s…: %d page images rendered in %.2f s (reader peak %d MB)",
            plan.digest[:12],
            len(answer.blobs),
            answer.seconds,
            answer.header.get("peak_kb", 0) // 1024,
        )
        if len(answer.blobs) != len(todo):
            raise ReaderError("internal", "the reader rendered another number of pages than asked")
        for page, blob in zip(todo, answer.blobs, strict=True):
            assert page.image is not None
            image = prepare_within_budget(blob, limits)
            _prepared.put((plan.digest, page.number, page.image.scale, limits), image, len(image.data))
            prepared[page.number] = image
    return {
        number: {"type": "image_url", "image_url": {"url": image.data_uri, "detail": "high"}}
        for number, image in prepared.items()
    }


def clear_cache() -> None:
    _prepared.clear()
