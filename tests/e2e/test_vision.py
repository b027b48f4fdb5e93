"""Images through the real plugin process: what AtlasCloud receives is safe, small and correct."""

from __future__ import annotations

import base64
import functools
import time

import pytest

from testkit.images import (
    animated_gif,
    bomb_png,
    cmyk_jpeg,
    encode,
    exif_photo_jpeg,
    grey16_png,
    image_part,
    photo,
    screenshot,
    transparent_png,
)
from testkit.plugin_driver import action_request, llm_request
from testkit.simulator.inspect import inspect_images

VISION = "qwen/qwen3.5-27b"


def send(plugin, creds, *parts, model=VISION):
    content = [{"type": "text", "data": "Describe."}, *parts]
    return plugin.request(
        llm_request(model, creds, [{"role": "user", "content": content}], parameters={"thinking": False})
    )


def received(sim):
    return inspect_images(sim.last_body())


def test_phone_photo_is_rotated_stripped_and_downscaled(plugin, sim, creds):
    raw = exif_photo_jpeg(6000, 4000, orientation=6)
    result = send(plugin, creds, image_part(raw, "image/jpeg", filename="IMG_0001.jpg"))
    assert result.ok, result.error
    [image] = received(sim)
    # EXIF 6 = portrait; libjpeg's 1/4 DCT scale lands within 70 % of the 2048 cap, so no resample.
    assert (image["width"], image["height"]) == (1000, 1500)
    assert image["format"] == "JPEG" and image["declared_mime"] == "image/jpeg"
    assert not image["has_exif"] and not image["has_gps"] and image["orientation"] is None
    assert image["bytes"] < len(raw) / 4


def test_large_png_screenshot_is_fitted_and_stays_a_sharp_format(plugin, sim, creds):
    raw = encode(screenshot(4000, 3000), "PNG")
    assert send(plugin, creds, image_part(raw, "image/png")).ok
    [image] = received(sim)
    # A 2x box reduction lands at 2000 px, within 70 % of the 2048 cap: no resample needed.
    assert (image["width"], image["height"]) == (2000, 1500)
    assert image["format"] == "PNG" and image["declared_mime"] == "image/png"


def test_transparent_png_keeps_its_transparency(plugin, sim, creds):
    assert send(plugin, creds, image_part(transparent_png(), "image/png")).ok
    [image] = received(sim)
    assert image["corner_pixel"][3] == 0, "transparent corner must stay transparent, not turn black"


def test_small_clean_jpeg_is_passed_through_byte_for_byte(plugin, sim, creds):
    raw = encode(photo(800, 600), "JPEG", quality=85)
    assert send(plugin, creds, image_part(raw, "image/jpeg")).ok
    sent_url = sim.last_body()["messages"][0]["content"][1]["image_url"]["url"]
    assert base64.b64decode(sent_url.partition(",")[2]) == raw


@pytest.mark.parametrize(
    ("name", "raw", "mime"),
    [
        ("cmyk", cmyk_jpeg(), "image/jpeg"),
        ("gif", animated_gif(), "image/gif"),
        ("grey16", grey16_png(), "image/png"),
        ("bmp", encode(photo(300, 200), "BMP"), "image/bmp"),
        ("tiff", encode(photo(300, 200), "TIFF"), "image/tiff"),
        ("small-exif", exif_photo_jpeg(400, 300, orientation=1), "image/jpeg"),
    ],
)
def test_formats_models_may_not_read_are_converted(plugin, sim, creds, name, raw, mime):
    assert send(plugin, creds, image_part(raw, mime)).ok
    [image] = received(sim)
    assert image["format"] in ("JPEG", "PNG", "WEBP")
    assert image["declared_mime"] == image["mime"], "the data URI's mime must match the bytes"
    assert image["mode"] in ("RGB", "RGBA", "L")
    assert image["frames"] == 1 and not image["has_exif"]
    if name == "grey16":
        # A 0..65535 gradient must become a 0..255 gradient, not a black or white sheet.
        assert 110 < image["mean_luma"] < 145 and image["width"] == 256
    if name == "cmyk":
        assert image["mode"] == "RGB"
        reference = inspect_images(
            {
                "messages": [
                    {
                        "content": [
                            {
                                "type": "image_url",
                                "image_url": {
                                    "url": "data:image/jpeg;base64,"
                                    + base64.b64encode(encode(photo(640, 480), "JPEG")).decode()
                                },
                            }
                        ]
                    }
                ]
            }
        )[0]
        assert abs(image["mean_luma"] - reference["mean_luma"]) < 12, "CMYK must not come out inverted"


def test_heic_photo_is_converted(plugin, sim, creds):
    pillow_heif = pytest.importorskip("pillow_heif")
    heif = pillow_heif.from_pillow(photo(800, 600))
    import io

    buffer = io.BytesIO()
    try:
        heif.save(buffer, format="HEIF", quality=80)
    except Exception as error:  # no HEVC encoder in this wheel
        pytest.skip(f"cannot encode HEIC here: {error}")
    assert send(plugin, creds, image_part(buffer.getvalue(), "image/heic")).ok
    [image] = received(sim)
    assert image["format"] == "JPEG" and (image["width"], image["height"]) == (800, 600)


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ({"base64_data": base64.b64encode(b"definitely not an image").decode()}, "not an image in a supported format"),
        ({"base64_data": base64.b64encode(encode(photo(600, 400), "JPEG")[:3000]).decode()}, "corrupt or truncated"),
        ({"base64_data": "!!!not-base64!!!"}, "not valid base64"),
        ({"base64_data": "", "url": ""}, "neither data nor a URL"),
    ],
)
def test_bad_images_are_clear_bad_requests(plugin, sim, creds, part, expected):
    bad = {**image_part(b"x", "image/png", filename="upload.png"), **part}
    result = send(plugin, creds, bad)
    assert result.error_type == "InvokeBadRequestError"
    assert expected in result.message and "upload.png" in result.message
    assert sim.requests("/v1/chat/completions") == []
    assert send(plugin, creds, image_part(transparent_png(), "image/png")).ok, "plugin keeps serving"


def test_decompression_bomb_is_refused_fast(plugin, sim, creds):
    started = time.monotonic()
    result = send(plugin, creds, image_part(bomb_png(), "image/png"))
    elapsed = time.monotonic() - started
    assert result.error_type == "InvokeBadRequestError"
    assert "900 MP" in result.message or "too many pixels" in result.message
    assert elapsed < 5, "refused from the header, long before any decode"


def test_low_detail_uses_the_small_cap(plugin, sim, creds):
    assert send(plugin, creds, image_part(encode(photo(3000, 2000), "JPEG"), "image/jpeg", detail="low")).ok
    assert send(plugin, creds, image_part(encode(photo(3000, 2000), "PNG"), "image/png", detail="low")).ok
    [resampled] = received(sim)
    assert (resampled["width"], resampled["height"]) == (600, 400), "5x box reduction, within 70 % of 768"
    assert send(plugin, creds, image_part(encode(photo(3000, 2000), "JPEG"), "image/jpeg", detail="low")).ok
    [image] = received(sim)
    # Cap 768 px; the 1/4 DCT scale (750 px) is within 70 % of it, so it is used as is.
    assert (image["width"], image["height"]) == (750, 500)
    assert sim.last_body()["messages"][0]["content"][1]["image_url"]["detail"] == "low"


@functools.cache
def twelve_uploads() -> tuple[dict, ...]:
    """Ten distinct 12 MP phone photos at JPEG quality 97 and two 4K screenshots: > 50 MB raw."""
    from PIL import ImageDraw

    base = photo(4000, 3000)
    parts = []
    for number in range(10):
        marked = base.copy()
        ImageDraw.Draw(marked).rectangle((number * 100, 0, number * 100 + 80, 80), fill=(number * 25, 0, 0))
        parts.append(image_part(encode(marked, "JPEG", quality=97), "image/jpeg"))
    parts += [image_part(encode(screenshot(3840 + n, 2160), "PNG"), "image/png") for n in range(2)]
    return tuple(parts)


def test_twelve_large_images_fit_in_one_request(plugin, sim, creds):
    parts = twelve_uploads()
    assert sum(len(p["base64_data"]) * 3 // 4 for p in parts) > 50_000_000, "the raw uploads exceed 50 MB"
    result = send(plugin, creds, *parts)
    assert result.ok, result.error
    images = received(sim)
    assert len(images) == 12
    assert all(max(i["width"], i["height"]) <= 2048 for i in images)
    body_size = sum(len(str(m["content"])) for m in sim.last_body()["messages"])
    assert body_size < 40_000_000


def test_public_https_image_urls_are_forwarded_untouched(plugin, sim, creds):
    url = "https://images.example.com/cat.jpg"
    part = {**image_part(b"", "image/jpeg"), "base64_data": "", "url": url}
    assert send(plugin, creds, part).ok
    assert sim.last_body()["messages"][0]["content"][1]["image_url"]["url"] == url


def test_image_tokens_follow_the_sent_size(plugin, creds):
    raw = exif_photo_jpeg(6000, 4000, orientation=1)
    content = [image_part(raw, "image/jpeg")]
    counted = plugin.request(
        action_request(
            "get_llm_num_tokens",
            "llm",
            VISION,
            creds,
            prompt_messages=[{"role": "user", "content": content}],
            tools=None,
        )
    ).single()["num_tokens"]
    # Sent as 1500x1000 (DCT 1/4 scale): 47 x 32 = 1504 blocks (+2 markers, +7 message framing).
    assert counted == 1504 + 2 + 4 + 3
