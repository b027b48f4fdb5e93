"""The token estimate of an image sent by URL (never downloaded to count): a full-size 4:3
image at the model's configured edge, rounded to whole pixels like a real image."""

from __future__ import annotations

from dify_plugin.entities.model.message import ImagePromptMessageContent

from models.vision_utils.image.policy import ImagePolicy
from models.vision_utils.tokens.image import estimate_image_tokens


def by_url(detail: ImagePromptMessageContent.DETAIL) -> ImagePromptMessageContent:
    return ImagePromptMessageContent(
        format="jpg", mime_type="image/jpeg", url="https://images.example.com/cat.jpg", detail=detail
    )


def test_a_url_image_counts_as_a_4_by_3_image_at_the_configured_edge():
    policy = ImagePolicy.from_config({"max_edge": 1366})  # 3/4 of it is 1024.5: a whole 1024 px high
    assert estimate_image_tokens(by_url(ImagePromptMessageContent.DETAIL.HIGH), policy) == 43 * 32 + 2
    assert estimate_image_tokens(by_url(ImagePromptMessageContent.DETAIL.LOW), policy) == 24 * 18 + 2
