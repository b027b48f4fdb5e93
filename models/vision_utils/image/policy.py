"""Per-model image limits and token rule, read from a model YAML's `atlascloud` block."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from models.vision_utils.image.sizing import HARD_MAX_EDGE, ImageLimits

# detail=high: ~2048 px on the long edge is where Qwen-VL/Kimi stop gaining accuracy per token paid.
HIGH_DETAIL = ImageLimits(max_edge=2048, max_pixels=2048 * 2048, max_bytes=3 * 1024 * 1024)
# detail=low: enough to read a chart or recognise a scene at a fraction of the tokens.
LOW_DETAIL = ImageLimits(max_edge=768, max_pixels=768 * 768, max_bytes=512 * 1024)
# AtlasCloud rejects bodies over 50 MB; base64 grows data by 4/3 and text needs room too.
REQUEST_IMAGE_BUDGET_BYTES = 36 * 1024 * 1024


@dataclass(frozen=True)
class ImageTokenRule:
    """Vision-transformer cost: one token per `patch_px` x `patch_px` block of the sent image."""

    patch_px: int = 32
    min_tokens: int = 4
    max_tokens: int = 16384

    def tokens(self, width: int, height: int) -> int:
        blocks = math.ceil(max(width, 1) / self.patch_px) * math.ceil(max(height, 1) / self.patch_px)
        # +2 for the vision start/end markers the chat template wraps every image in.
        return min(max(blocks, self.min_tokens), self.max_tokens) + 2

    @classmethod
    def from_config(cls, config: dict | None) -> ImageTokenRule:
        if not config:
            return cls()
        return cls(
            patch_px=int(config.get("patch_px", cls.patch_px)),
            min_tokens=int(config.get("min_tokens", cls.min_tokens)),
            max_tokens=int(config.get("max_tokens", cls.max_tokens)),
        )


@dataclass(frozen=True)
class ImagePolicy:
    high: ImageLimits = HIGH_DETAIL
    low: ImageLimits = LOW_DETAIL
    tokens: ImageTokenRule = field(default_factory=ImageTokenRule)

    def limits(self, detail: str, images_in_request: int) -> ImageLimits:
        """Limits for one image, shrinking the byte cap when many images share a request."""
        base = self.low if detail == "low" else self.high
        share = REQUEST_IMAGE_BUDGET_BYTES * 3 // 4 // max(images_in_request, 1)
        if share >= base.max_bytes:
            return base
        return ImageLimits(base.max_edge, base.max_pixels, max(share, 64 * 1024))

    @classmethod
    def from_config(cls, config: dict[str, Any] | None) -> ImagePolicy:
        """`{image_tokens: {...}, max_edge: N}`; max_edge is clamped to 4096 px."""
        config = config or {}
        high = HIGH_DETAIL
        if config.get("max_edge"):
            edge = min(int(config["max_edge"]), HARD_MAX_EDGE)
            high = ImageLimits(edge, edge * edge, HIGH_DETAIL.max_bytes)
        return cls(high=high, low=LOW_DETAIL, tokens=ImageTokenRule.from_config(config.get("image_tokens")))
