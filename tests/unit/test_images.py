"""The image converter on its own: properties, edge cases and a fuzzed decoder."""

from __future__ import annotations

import contextlib
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageCms

from models.vision_utils.image import cache, plan
from models.vision_utils.image.convert import looks_like_graphic, prepare_image
from models.vision_utils.image.header import open_header
from models.vision_utils.image.sizing import ImageLimits, fit_size, shrink_plan
from provider.errors.tree import ImageError
from testkit.images import animated_gif, encode, exif_photo_jpeg, photo, screenshot, transparent_png


def sent_size(raw: bytes, limits: ImageLimits) -> tuple[int, int]:
    return plan.sent_size(open_header(raw), raw, limits)


LIMITS = ImageLimits()
SEEDS = [
    encode(photo(64, 48), "PNG"),
    encode(photo(64, 48), "JPEG"),
    animated_gif(),
    encode(photo(40, 30), "WEBP"),
    encode(photo(40, 30), "TIFF"),
    encode(photo(40, 30), "BMP"),
]


def decodes(prepared) -> Image.Image:
    image = Image.open(io.BytesIO(prepared.data))
    image.load()
    assert Image.MIME[image.format] == prepared.mime
    assert image.size == (prepared.width, prepared.height)
    return image


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_random_bytes_never_crash(raw):
    with contextlib.suppress(ImageError):
        decodes(prepare_image(raw, LIMITS))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    cut=st.integers(min_value=0, max_value=100),
    flips=st.lists(st.tuples(st.integers(min_value=0, max_value=10_000), st.integers(0, 255)), max_size=8),
)
def test_mutated_images_yield_a_valid_image_or_a_clear_error(seed, cut, flips):
    data = bytearray(seed[: max(1, len(seed) * cut // 100)] if cut < 100 else seed)
    for position, value in flips:
        data[position % len(data)] = value
    try:
        decodes(prepare_image(bytes(data), LIMITS))
    except ImageError as error:
        assert str(error)


def test_fit_size_respects_edge_and_pixel_caps():
    assert fit_size(6000, 4000, ImageLimits(2048, 10**9, 1)) == (2048, 1365)
    assert fit_size(4000, 4000, ImageLimits(4096, 1000 * 1000, 1)) == (1000, 1000)
    assert fit_size(100, 50, LIMITS) == (100, 50)
    assert fit_size(50_000, 10, ImageLimits(99_999, 10**12, 1)) == (4096, 1), "hard cap 4096 px"


def test_shrink_plan_prefers_a_cheap_whole_factor_close_to_the_cap():
    assert shrink_plan((6000, 4000), LIMITS, jpeg=True) == (4, (1500, 1000))
    assert shrink_plan((4032, 3024), LIMITS, jpeg=True) == (2, (2016, 1512))
    assert shrink_plan((2500, 1000), LIMITS, jpeg=True) == (1, (2500, 1000)), "no scale is close: full decode"
    assert shrink_plan((4000, 3000), LIMITS, jpeg=False) == (2, (2000, 1500))
    assert shrink_plan((6000, 4000), LIMITS, jpeg=False) == (4, (1500, 1000))
    assert shrink_plan((1000, 800), LIMITS, jpeg=False) == (1, (1000, 800)), "fits: nothing to do"


def test_sent_size_matches_what_prepare_sends():
    for raw in (exif_photo_jpeg(4000, 3000, orientation=1), encode(screenshot(3000, 1000), "PNG")):
        prepared = prepare_image(raw, LIMITS)
        assert sent_size(raw, LIMITS) == (prepared.width, prepared.height)


def test_byte_cap_is_met_by_lowering_quality():
    prepared = prepare_image(encode(photo(2000, 1500), "PNG"), ImageLimits(2048, 2048 * 2048, 150_000))
    assert len(prepared.data) <= 150_000 and prepared.mime == "image/jpeg"


def test_graphic_detection():
    assert looks_like_graphic(screenshot(800, 600))
    assert not looks_like_graphic(photo(800, 600))


def test_transparent_photo_becomes_webp_with_alpha():
    rgba = photo(3000, 2000).convert("RGBA")
    rgba.paste((0, 0, 0, 0), (0, 0, 200, 200))
    image = decodes(prepare_image(encode(rgba, "PNG"), LIMITS))
    assert image.format == "WEBP" and image.mode == "RGBA" and image.getpixel((0, 0))[3] == 0


def test_transparent_graphic_stays_png():
    image = decodes(prepare_image(transparent_png(3000, 2000), LIMITS))
    assert image.format == "PNG" and image.getpixel((0, 0))[3] == 0


def test_colour_profiles_are_applied_then_dropped():
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    raw = encode(photo(300, 200), "JPEG", icc_profile=profile)
    image = decodes(prepare_image(raw, LIMITS))
    assert "icc_profile" not in image.info


def test_xmp_and_comments_are_stripped():
    raw = encode(photo(300, 200), "JPEG", comment=b"secret note")
    prepared = prepare_image(raw, LIMITS)
    assert prepared.converted and b"secret note" not in prepared.data


def test_cache_returns_the_same_result_without_reconverting():
    cache.clear()
    calls = []

    def counting(raw, limits):
        calls.append(1)
        return prepare_image(raw, limits)

    raw = exif_photo_jpeg(1200, 900)
    first = cache.cached(raw, LIMITS, counting)
    second = cache.cached(raw, LIMITS, counting)
    assert first is second and len(calls) == 1


@pytest.mark.parametrize("size", [(1, 1), (1, 4000), (4000, 1)])
def test_extreme_aspect_ratios(size):
    image = decodes(prepare_image(encode(Image.new("RGB", size, (9, 9, 9)), "PNG"), LIMITS))
    assert max(image.size) <= 2048 and min(image.size) >= 1


def test_pixel_caps_are_checked_from_the_header():
    from testkit.images import bomb_png

    with pytest.raises(ImageError, match="64 MP"):
        prepare_image(bomb_png(8001, 8000), LIMITS)
    assert sent_size(bomb_png(8000, 8000), LIMITS) == (1600, 1600), "64 MP exactly is accepted (5x box reduction)"


def test_conversion_runs_on_a_real_thread_under_gevent():
    import threading

    import dify_plugin  # noqa: F401  (monkey-patches, as in the plugin process)

    from models.common.threads import run_blocking

    assert run_blocking(threading.get_native_id) != threading.get_native_id()
    with pytest.raises(ImageError):
        run_blocking(prepare_image, b"not an image", LIMITS)


def quadrants(width: int, height: int, mode: str) -> Image.Image:
    """Black, white, white, black quadrants, so a misplaced or missing strip shows."""
    image = Image.new("L", (width, height), 0)
    image.paste(255, (width // 2, 0, width, height // 2))
    image.paste(255, (0, height // 2, width // 2, height))
    if mode == "I;16":
        return image.convert("I").point(lambda value: value * 257).convert("I;16")
    return image.convert(mode)


def whole_image_reference(raw: bytes) -> Image.Image:
    """The same conversion done on the whole image at once, the simple and obviously right way."""
    image = Image.open(io.BytesIO(raw))
    factor, _ = shrink_plan(image.size, LIMITS, jpeg=False)
    image = image.convert("I").point(lambda value: value / 256).convert("L") if image.mode == "I;16" else image
    image = image.convert("RGB")
    if factor > 1:
        image = image.reduce(factor)
    if fit_size(*image.size, LIMITS) != image.size:
        image = image.resize(fit_size(*image.size, LIMITS), Image.Resampling.LANCZOS)
    return image.convert("L")


@pytest.mark.parametrize(
    ("mode", "fmt", "size"),
    [
        ("RGB", "PNG", (4000, 3000)),  # 2x box reduction, many strips
        ("P", "PNG", (5001, 2999)),  # odd sizes: a partial last strip and column
        ("RGBA", "PNG", (3000, 5000)),
        ("I;16", "PNG", (4000, 3001)),
        ("CMYK", "TIFF", (3500, 2500)),
        ("L", "BMP", (2600, 2600)),  # no whole factor fits: strips are skipped, then resampled
        ("RGB", "JPEG", (6000, 4000)),  # DCT scaling, no strips
        ("CMYK", "JPEG", (3000, 2000)),  # DCT scaling, then strips convert CMYK
    ],
)
def test_every_strip_lands_in_its_place(mode, fmt, size):
    raw = encode(quadrants(*size, mode), fmt)
    image = decodes(prepare_image(raw, LIMITS)).convert("L")
    width, height = image.size
    assert (width, height) == sent_size(raw, LIMITS)
    for x, y, expected in [(0.25, 0.25, 0), (0.75, 0.25, 255), (0.25, 0.75, 255), (0.75, 0.75, 0)]:
        value = image.getpixel((int(x * width), int(y * height)))
        assert abs(value - expected) < 40, (mode, fmt, (x, y), value)
    if fmt != "JPEG":  # lossless in and out: pixel for pixel what the whole-image way gives
        assert ImageChops.difference(image, whole_image_reference(raw)).getbbox() is None
