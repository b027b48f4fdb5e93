"""Tokens of one image part as it will be sent, from its header alone (never decoded)."""

from __future__ import annotations

from dify_plugin.entities.model.message import ImagePromptMessageContent

from models.vision_utils.content import inline_base64
from models.vision_utils.image.header import header_from_base64
from models.vision_utils.image.part import detail_of
from models.vision_utils.image.plan import sent_size
from models.vision_utils.image.policy import ImagePolicy
from provider.errors.tree import ImageError


def estimate_image_tokens(part: ImagePromptMessageContent, policy: ImagePolicy) -> int:
    """Tokens for the image as it will be sent, from its header: no pixel is decoded and only
    the first kilobytes of its base64 text are (header.header_from_base64)."""
    limits = policy.limits(detail_of(part), 1)
    inline = inline_base64(part)
    if inline is None:
        # Not downloaded just to count: assume a full-size 4:3 image.
        return policy.tokens.tokens(limits.max_edge, limits.max_edge * 3 // 4)
    try:
        image, header = header_from_base64(*inline)
        width, height = sent_size(image, header, limits)
    except ImageError:
        return policy.tokens.min_tokens
    return policy.tokens.tokens(width, height)
