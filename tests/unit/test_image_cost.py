"""The memory estimate behind the image budget: exact values from headers, refusals that say
what to do, and (measured in fresh processes) that the estimate stays above the real peak."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image

from models.vision_utils.image import plan as cost
from models.vision_utils.image.convert import prepare_image
from models.vision_utils.image.header import JpegLayout, check_tiff_directory, jpeg_layout, open_header
from models.vision_utils.image.plan import costed_plan, decode_cost, decode_plan, pixel_bytes
from models.vision_utils.image.sizing import ImageLimits
from provider.errors.tree import ImageError
from testkit import hostile_images as hostile
from testkit.image_corpus import HOSTILE
from testkit.images import encode, photo

ROOT = Path(__file__).resolve().parents[2]
LIMITS = ImageLimits()
MIB = 2**20


@pytest.mark.parametrize(
    ("mode", "size"),
    [
        ("1", 1),
        ("L", 1),
        ("P", 1),
        ("I;16", 2),
        ("I;16B", 2),
        ("LA", 4),
        ("RGB", 4),
        ("RGBA", 4),
        ("CMYK", 4),
        ("I", 4),
    ],
)
def test_pixel_bytes_follow_pillows_storage(mode, size):
    assert pixel_bytes(mode) == size


@pytest.mark.parametrize(
    ("raw", "scalable", "coefficients"),
    [
        # 8000x8000 4:2:0: Y 1000x1000 blocks, Cb and Cr 500x500 blocks, 128 bytes each.
        (hostile.zero_jpeg(8000, 8000), True, (1000 * 1000 + 2 * 500 * 500) * 128),
        (
            hostile.zero_jpeg(8000, 8000, progressive=False, interleaved=False),
            True,
            (1000 * 1000 + 2 * 500 * 500) * 128,
        ),
        (hostile.zero_jpeg(8000, 8000, progressive=False), True, 0),  # one interleaved scan: streamed
        (hostile.zero_jpeg(8000, 8000, components=4), True, 4 * 1000 * 1000 * 128),
        (hostile.zero_jpeg(8000, 8000, components=1), True, 1000 * 1000 * 128),
        # Padded to whole MCUs: Y is 1001 blocks wide, rounded up to its 2x2 sampling.
        (hostile.zero_jpeg(8001, 8000), True, (1002 * 1000 + 2 * 501 * 500) * 128),
    ],
)
def test_jpeg_layout_from_the_markers(raw, scalable, coefficients):
    layout = jpeg_layout(raw)
    assert layout.scalable == scalable
    assert layout.coefficient_bytes(*open_header(raw).size) == coefficients


def test_a_frame_without_a_scan_is_assumed_to_need_the_whole_image_buffered():
    truncated = hostile.zero_jpeg(8000, 8000, progressive=False)
    before_scan = truncated[: truncated.index(b"\xff\xda")]
    layout = jpeg_layout(before_scan)
    assert not layout.scalable and layout.coefficient_bytes(8000, 8000) == (1000 * 1000 + 2 * 500 * 500) * 128
    nothing = jpeg_layout(b"\xff\xd8\xff\xd9")
    assert not nothing.scalable and nothing.coefficient_bytes(8000, 8000) == 0, "Pillow refuses it anyway"


def expected_cost(decoded_pixels, bytes_per_pixel, reduced_pixels, extra=0, copies=1):
    return (
        decoded_pixels * bytes_per_pixel * copies
        + extra
        + cost.STRIP_BYTES
        + cost.WORK_COPIES * 4 * reduced_pixels
        + cost.FIXED_BYTES
    )


def estimate(raw, limits=LIMITS):
    image = open_header(raw)
    return decode_cost(image, decode_plan(image, raw, limits))


def test_baseline_jpeg_costs_its_scaled_output_only():
    # 6000x4000 decodes at 1/4: 1500x1000 RGB (4 bytes per pixel), plus libjpeg's row buffers.
    raw = hostile.zero_jpeg(6000, 4000, progressive=False)
    assert estimate(raw) == expected_cost(1500 * 1000, 4, 1500 * 1000, extra=6000 * cost.JPEG_BYTES_PER_COLUMN)


def test_progressive_jpeg_adds_its_full_size_coefficients():
    raw = hostile.zero_jpeg(6000, 4000)
    coefficients = (750 * 500 + 2 * 375 * 250) * 128
    extra = coefficients + 6000 * cost.JPEG_BYTES_PER_COLUMN
    assert estimate(raw) == expected_cost(1500 * 1000, 4, 1500 * 1000, extra=extra)


@pytest.mark.parametrize(
    ("raw", "bytes_per_pixel", "copies"),
    [
        (hostile.zero_png(4000, 3000, colour_type=2), 4, 1),
        (hostile.zero_png(4000, 3000, colour_type=3), 1, 1),
        (hostile.zero_png(4000, 3000, colour_type=0, bit_depth=16), 2, 1),
        (hostile.flat_webp(4000, 3000), 4, 4),
        (hostile.single_strip_tiff(4000, 3000), 1, 2),
        (hostile.rle_bmp(4000, 3000), 1, 3),
    ],
)
def test_other_formats_cost_their_full_size_decode(raw, bytes_per_pixel, copies):
    # Decoded whole at 4000x3000, then reduced by 2 to 2000x1500 strip by strip.
    assert estimate(raw) == expected_cost(4000 * 3000, bytes_per_pixel, 2000 * 1500, copies=copies)


def test_transparent_images_reserve_room_for_the_webp_encoder():
    raw = hostile.zero_png(4000, 3000)  # RGBA
    extra = cost.ALPHA_ENCODE_BYTES_PER_PIXEL * 2000 * 1500
    assert estimate(raw) == expected_cost(4000 * 3000, 4, 2000 * 1500, extra=extra)
    palette = Image.new("P", (4000, 3000))
    with_transparency = encode(palette, "PNG", transparency=0)
    assert estimate(with_transparency) == expected_cost(4000 * 3000, 1, 2000 * 1500, extra=extra)


def test_refusal_names_the_size_the_need_and_what_would_fit():
    raw = hostile.zero_jpeg(16000, 16250)
    image = open_header(raw)
    needed = decode_cost(image, decode_plan(image, raw, LIMITS))
    assert costed_plan(image, raw, LIMITS, needed)[1] == needed, "exactly the capacity fits"
    with pytest.raises(ImageError) as refused:
        costed_plan(image, raw, LIMITS, needed - 1)
    message = str(refused.value)
    assert "16000x16250 (260 MP)" in message and "progressive JPEG" in message
    assert f"about {needed / MIB:.0f} MB, more than the {(needed - 1) / MIB:.0f} MB" in message
    with pytest.raises(ImageError, match=r"send it at most (\d+) MP") as refused:
        costed_plan(image, raw, LIMITS, 384 * MIB)
    fits = int(re.search(r"at most (\d+) MP", str(refused.value)).group(1))
    side = int((fits * 1e6) ** 0.5)  # the figure is true: that size fits, a little more does not
    assert (
        estimate(hostile.zero_jpeg(side - 20, side - 20))
        <= 384 * MIB
        < estimate(hostile.zero_jpeg(side + 200, side + 200))
    )


def test_the_default_budget_refuses_the_hostile_giants_before_decoding():
    for name in ("progressive-jpeg-260mp", "cmyk-jpeg-with-profile-64mp", "webp-lossy-64mp"):
        make, _ = HOSTILE[name]
        with pytest.raises(ImageError, match="would need about"):
            prepare_image(make(), LIMITS)


def test_tiff_directories_with_giant_tables_are_refused_before_pillow_parses_them():
    with pytest.raises(ImageError, match="TIFF directory has a 4 MB entry"):
        open_header(hostile.tiff_strip_table_bomb(1_000_000))
    check_tiff_directory(hostile.tiff_strip_table_bomb(100_000))  # 400 kB tables: a real image's
    check_tiff_directory(encode(photo(300, 200), "TIFF"))
    with pytest.raises(ImageError, match="TIFF directory"):
        check_tiff_directory(hostile.tiff_strip_table_bomb(262_145))  # one entry over 1 MiB


def transparent_photo_png(width: int, height: int) -> bytes:
    """A photo with a transparent corner: converted to WEBP, the costliest encoder."""
    image = photo(width, height).convert("RGBA")
    image.paste((0, 0, 0, 0), (0, 0, width // 4, height // 4))
    return encode(image, "PNG", compress_level=1)


MEASURE = textwrap.dedent(
    """
    import gc, json, sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from models.vision_utils.image.header import open_header
    from models.vision_utils.image.sizing import ImageLimits
    from models.vision_utils.image.convert import prepare_image
    from models.vision_utils.image.plan import decode_cost, decode_plan

    def kb(field):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])

    raw = sys.stdin.buffer.read()
    image = open_header(raw)
    estimate = decode_cost(image, decode_plan(image, raw, ImageLimits()))
    image.close()
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    before = kb("VmRSS:")
    prepare_image(raw, ImageLimits())
    print(json.dumps({{"estimate": estimate, "peak": (kb("VmHWM:") - before) * 1024}}))
    """
)


@pytest.mark.parametrize(
    "make",
    [
        lambda: hostile.flat_webp(3000, 3000),
        lambda: hostile.zero_jpeg(4000, 4000, components=4),
        lambda: hostile.zero_png(4000, 4000, icc=hostile.wide_gamut_profile()),
        lambda: transparent_photo_png(2000, 1500),
    ],
    ids=["webp-9mp", "cmyk-progressive-16mp", "rgba-icc-png-16mp", "transparent-photo-png"],
)
def test_the_estimate_is_above_the_measured_peak(make):
    """Fresh process per image, so the peak is this conversion's own (Linux VmHWM)."""
    code = MEASURE.format(root=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-c", code], input=make(), capture_output=True, timeout=120, env={"PATH": "/usr/bin"}
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    measured = json.loads(result.stdout.decode().strip().splitlines()[-1])
    assert measured["peak"] > 0.3 * measured["estimate"], "the estimate is not wildly above reality either"
    assert measured["peak"] <= measured["estimate"]


def test_open_header_sees_no_pixels_for_hostile_headers():
    for name in ("png-header-900mp", "gif-header-4gp", "tiff-header-10gp", "jpeg-header-4gp"):
        make, _ = HOSTILE[name]
        with pytest.raises(ImageError, match=r"too many pixels|the limit is"):
            open_header(make())
    assert Image.open(io.BytesIO(hostile.zero_png(10, 10))).size == (10, 10)


def test_plans_name_every_field():
    # A 6000x4000 PNG: decoded whole, box-reduced by 4 to 1500x1000 (within 70 % of 2048 px: final).
    png = cost.plan_for((6000, 4000), None, LIMITS)
    assert png == cost.DecodePlan((6000, 4000), 1, 4, (6000, 4000), (1500, 1000), (1500, 1000), 0)
    # A lossless (SOF3) JPEG cannot be scaled by libjpeg and keeps its coefficients.
    lossless = JpegLayout(scalable=False, buffered=True, sampling=((1, 1),))
    plan = cost.plan_for((6000, 4000), lossless, LIMITS)
    assert plan == cost.DecodePlan(
        (6000, 4000), 1, 4, (6000, 4000), (1500, 1000), (1500, 1000), lossless.coefficient_bytes(6000, 4000)
    )
    assert plan.coefficient_bytes == 750 * 500 * 128


def test_refusals_describe_the_format_that_costs():
    webp = encode(Image.effect_noise((4000, 4000), 50).convert("RGB"), "WEBP", quality=30)
    image = open_header(webp)
    with pytest.raises(ImageError) as refused:
        costed_plan(image, webp, LIMITS, 10 * MIB)
    assert "decoding this WEBP (RGB) would need about" in str(refused.value)
    buffered = cost.DecodePlan((10, 10), 1, 1, (10, 10), (10, 10), (10, 10), 1000)
    plain = cost.DecodePlan((10, 10), 1, 1, (10, 10), (10, 10), (10, 10), 0)
    progressive = SimpleNamespace(info={"progressive": 1}, format="JPEG", mode="RGB")
    multi_scan = SimpleNamespace(info={}, format="JPEG", mode="RGB")
    assert cost.describe(progressive, buffered) == "progressive JPEG"
    assert cost.describe(multi_scan, buffered) == "multi-scan JPEG"
    assert cost.describe(SimpleNamespace(info={}, format="PNG", mode="RGBA"), plain) == "PNG (RGBA)"
    assert cost.describe(SimpleNamespace(info={}, format=None, mode="RGB"), plain) == "image"


def test_a_non_jpeg_whose_bytes_look_like_a_jpeg_marker_is_not_read_as_one():
    # A BMP's file-size field sits right after "BM": sized 0x0010C2FF, its bytes 2-5 read as a JPEG
    # progressive frame marker with a 16-byte segment. Only JPEG files get the JPEG layout.
    bmp = bytearray(encode(photo(300, 200), "BMP"))
    size = 0x0010C2FF
    bmp += b"\x00" * (size - len(bmp))
    bmp[2:6] = size.to_bytes(4, "little")
    assert jpeg_layout(bytes(bmp)).buffered, "read as a JPEG, these bytes would claim buffers"
    image = open_header(bytes(bmp))
    assert image.format == "BMP"
    assert decode_plan(image, bytes(bmp), LIMITS).coefficient_bytes == 0
    plan, _ = costed_plan(image, bytes(bmp), LIMITS, 384 * MIB)
    assert plan.coefficient_bytes == 0
