"""The sizing rule: what size an image is sent at. Pure functions, shared by the converter and
the token estimate so the two cannot drift."""

from __future__ import annotations

import math
from dataclasses import dataclass

HARD_MAX_EDGE = 4096
# A cheap whole-factor shrink may end up this much below the edge cap instead of being resampled.
DCT_ACCEPT_RATIO = 0.7
# libjpeg scales while decoding by these factors only.
JPEG_SCALES = (8, 4, 2)


@dataclass(frozen=True)
class ImageLimits:
    max_edge: int = 2048
    max_pixels: int = 2048 * 2048
    max_bytes: int = 3 * 1024 * 1024


def fit_size(width: int, height: int, limits: ImageLimits) -> tuple[int, int]:
    """The largest size within the edge and pixel caps that keeps the aspect ratio."""
    edge = min(limits.max_edge, HARD_MAX_EDGE)
    scale = min(1.0, edge / max(width, height), math.sqrt(limits.max_pixels / (width * height)))
    return max(1, math.floor(width * scale)), max(1, math.floor(height * scale))


def shrink_plan(size: tuple[int, int], limits: ImageLimits, jpeg: bool) -> tuple[int, tuple[int, int]]:
    """(factor, reduced size) of the cheap first shrink step before any resampling.

    JPEG uses libjpeg's DCT scaling (1/2, 1/4, 1/8) while decoding; other formats a box
    reduction by a whole factor. Resampling megapixels costs more than decoding them, so
    when such a step lands within DCT_ACCEPT_RATIO of the cap it is the final size
    (6000x4000 JPEG -> 1500x1000, 4032x3024 -> 2016x1512, 4000x3000 PNG -> 2000x1500);
    otherwise the step stays above the cap and a LANCZOS resample finishes the job.
    DCT scaling applies to both axes alike, so a JPEG narrower than the factor cannot use it.
    """
    width, height = size
    target = fit_size(width, height, limits)
    if target == size:
        return 1, size
    most = max(size) / (DCT_ACCEPT_RATIO * max(target))
    candidates = JPEG_SCALES if jpeg else range(min(int(most), 64), 1, -1)
    for factor in candidates:
        if factor <= most and (not jpeg or factor <= min(size)):
            return factor, (math.ceil(width / factor), math.ceil(height / factor))
    return 1, size
