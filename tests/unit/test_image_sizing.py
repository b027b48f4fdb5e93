"""The sizing rule and the per-image limits: exact values at every boundary, so that an
off-by-one, a `<` for a `<=` or a wrong factor fails here in milliseconds."""

from __future__ import annotations

import io
import math

import pytest
from PIL import Image

from models.vision_utils.image import plan
from models.vision_utils.image.convert import draft_request, prepare_image
from models.vision_utils.image.header import open_header
from models.vision_utils.image.policy import HIGH_DETAIL, LOW_DETAIL, REQUEST_IMAGE_BUDGET_BYTES, ImagePolicy
from models.vision_utils.image.sizing import HARD_MAX_EDGE, ImageLimits, fit_size, shrink_plan
from testkit.hostile_images import zero_jpeg, zero_png


def sent_size(raw: bytes, limits: ImageLimits) -> tuple[int, int]:
    return plan.sent_size(open_header(raw), raw, limits)


WIDE = ImageLimits(max_edge=1000, max_pixels=10**9)  # only the edge cap binds


@pytest.mark.parametrize(
    ("size", "limits", "expected"),
    [
        ((2048, 1000), ImageLimits(2048, 10**9), (2048, 1000)),  # exactly at the edge cap: untouched
        ((2049, 1000), ImageLimits(2048, 10**9), (2048, 999)),
        ((1000, 2049), ImageLimits(2048, 10**9), (999, 2048)),  # the long edge may be the height
        ((6000, 4000), ImageLimits(2048, 10**9), (2048, 1365)),
        ((1000, 1000), ImageLimits(4096, 1000 * 1000), (1000, 1000)),  # exactly at the pixel cap
        ((1001, 1000), ImageLimits(4096, 1000 * 1000), (1000, 999)),
        ((4000, 4000), ImageLimits(4096, 1000 * 1000), (1000, 1000)),
        ((100, 50), ImageLimits(), (100, 50)),
        ((50_000, 10), ImageLimits(99_999, 10**12), (HARD_MAX_EDGE, 1)),  # hard cap, never below 1 px
        ((10, 50_000), ImageLimits(99_999, 10**12), (1, HARD_MAX_EDGE)),
        ((5000, 5000), ImageLimits(4097, 10**12), (4096, 4096)),
    ],
)
def test_fit_size(size, limits, expected):
    assert fit_size(*size, limits) == expected


@pytest.mark.parametrize(
    ("size", "jpeg", "expected"),
    [
        ((2800, 100), True, (4, (700, 25))),  # exactly 70 % of the cap: the factor is accepted
        ((2799, 100), True, (2, (1400, 50))),  # just under: the next smaller scale
        ((2800, 100), False, (4, (700, 25))),
        ((2799, 100), False, (3, (933, 34))),  # box reduction takes any whole factor
        ((5601, 100), True, (8, (701, 13))),  # ceil, like libjpeg
        ((1000, 999), True, (1, (1000, 999))),  # fits: nothing to do
        ((1001, 1000), True, (1, (1001, 1000))),  # 1.4 % over: no whole factor is close, resample
        ((1399, 100), True, (1, (1399, 100))),  # factor 2 would land below 70 % of the cap
        ((1400, 100), True, (2, (700, 50))),
        ((60000, 3), True, (2, (30000, 2))),  # a 3 px wide JPEG cannot be scaled by 4 or 8
        ((60000, 7), True, (4, (15000, 2))),
        ((60000, 8), True, (8, (7500, 1))),
        ((100_000, 1), False, (64, (1563, 1))),  # box reduction is capped at 64
    ],
)
def test_shrink_plan(size, jpeg, expected):
    assert shrink_plan(size, WIDE, jpeg=jpeg) == expected


def test_shrink_plan_for_phone_photos_and_screenshots():
    limits = ImageLimits()
    assert shrink_plan((6000, 4000), limits, jpeg=True) == (4, (1500, 1000))
    assert shrink_plan((4032, 3024), limits, jpeg=True) == (2, (2016, 1512))
    assert shrink_plan((4000, 3000), limits, jpeg=False) == (2, (2000, 1500))
    assert shrink_plan((2500, 1000), limits, jpeg=True) == (1, (2500, 1000))


@pytest.mark.parametrize("size", [(6001, 4001), (4001, 6001), (6000, 4000), (15, 15), (17, 33), (8, 60000), (801, 8)])
@pytest.mark.parametrize("scale", [2, 4, 8])
def test_draft_request_makes_libjpeg_scale_by_exactly_the_planned_factor(size, scale):
    if min(size) < scale:
        pytest.skip("shrink_plan never asks for it")
    image = Image.open(io.BytesIO(zero_jpeg(*size, progressive=False)))
    image.draft("RGB", draft_request(size, scale))
    assert image.size == (math.ceil(size[0] / scale), math.ceil(size[1] / scale))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (zero_jpeg(6000, 4000, progressive=False), (1500, 1000)),
        (zero_jpeg(6001, 4001, progressive=False), (1501, 1001)),  # Pillow's draft once picked 1/2 here
        (zero_jpeg(4032, 3024), (2016, 1512)),
        (zero_jpeg(2500, 1000, progressive=False), (2048, 819)),
        (zero_jpeg(7, 60000, progressive=False), (1, 2048)),
        (zero_png(4000, 3000, colour_type=2), (2000, 1500)),
        (zero_png(3000, 2000, colour_type=3), (1500, 1000)),
        (zero_png(2049, 10, colour_type=0), (2048, 9)),
    ],
)
def test_sent_size_is_what_prepare_image_sends(raw, expected):
    prepared = prepare_image(raw, ImageLimits())
    assert (prepared.width, prepared.height) == expected
    assert sent_size(raw, ImageLimits()) == expected


def test_policy_limits_shrink_the_byte_cap_only_when_images_share_a_request():
    policy = ImagePolicy()
    assert policy.limits("high", 1) == HIGH_DETAIL
    assert policy.limits("low", 1) == LOW_DETAIL
    assert policy.limits("auto", 1) == HIGH_DETAIL
    assert policy.limits("high", 0) == HIGH_DETAIL
    share = REQUEST_IMAGE_BUDGET_BYTES * 3 // 4  # raw bytes; base64 adds a third
    assert share // 9 == HIGH_DETAIL.max_bytes, "nine images at 3 MB fill the budget exactly"
    assert policy.limits("high", 9) == HIGH_DETAIL
    shrunk = policy.limits("high", 10)
    assert shrunk.max_bytes == share // 10 == 2_831_155
    assert (shrunk.max_edge, shrunk.max_pixels) == (HIGH_DETAIL.max_edge, HIGH_DETAIL.max_pixels)
    assert policy.limits("low", 54) == LOW_DETAIL, "54 x 512 kB still fit"
    assert policy.limits("low", 55).max_bytes == share // 55
    assert policy.limits("high", 1000).max_bytes == 64 * 1024, "never below 64 kB per image"
    assert 30 * policy.limits("high", 30).max_bytes * 4 / 3 < 50e6, "30 images stay under AtlasCloud's 50 MB"


def test_policy_from_model_config():
    assert ImagePolicy.from_config(None) == ImagePolicy()
    raised = ImagePolicy.from_config({"max_edge": 3000, "image_tokens": {"patch_px": 28}})
    assert (raised.high.max_edge, raised.high.max_pixels) == (3000, 3000 * 3000)
    assert raised.high.max_bytes == HIGH_DETAIL.max_bytes and raised.low == LOW_DETAIL
    assert raised.tokens.patch_px == 28
    assert ImagePolicy.from_config({"max_edge": 10_000}).high.max_edge == HARD_MAX_EDGE
