"""README promises about images, checked through the real plugin process: the per-request byte
budget, conversion off the request greenlet, token counts from headers (never pixels) and
placeholder text for models without vision, and colour profiles on CMYK photos."""

from __future__ import annotations

import threading
import time
from functools import cache
from pathlib import Path

import pytest
import yaml
from PIL import Image, ImageDraw, ImageStat

from models.vision_utils.image.policy import ImagePolicy
from testkit.hostile_images import wide_gamut_profile, zero_jpeg, zero_png
from testkit.image_corpus import cmyk_profile
from testkit.images import encode, image_part, photo
from testkit.plugin_driver import PluginProcess, action_request, llm_request
from testkit.simulator.inspect import inspect_images
from tests.e2e.image_helpers import concurrent_stdio_plugin, status_kb

VISION = "qwen/qwen3.5-27b"
TEXT_ONLY = "deepseek-ai/deepseek-v3.2"  # no vision in its YAML


@pytest.fixture(scope="module")
def stdio_plugin():
    process = concurrent_stdio_plugin()
    yield process
    process.stop()


def chat(model: str, creds: dict, parts: list[dict]) -> dict:
    content = [{"type": "text", "data": "Describe."}, *parts]
    return llm_request(model, creds, [{"role": "user", "content": content}], parameters={"thinking": False})


def count_tokens(plugin: PluginProcess, model: str, creds: dict, parts: list[dict]) -> int:
    content = [{"type": "text", "data": "Describe."}, *parts]
    request = action_request(
        "get_llm_num_tokens", "llm", model, creds, prompt_messages=[{"role": "user", "content": content}], tools=None
    )
    return plugin.request(request).single()["num_tokens"]


@cache
def thirty_photos() -> tuple[bytes, ...]:
    """Thirty distinct grainy 1600x1200 photos (gravel, foliage) at quality 97: ~1.9 MB each,
    57 MB together; re-encoded at quality 85 each is still ~1 MB, above the shared cap."""
    base = Image.blend(photo(1600, 1200), Image.effect_noise((1600, 1200), 90).convert("RGB"), 0.5)
    photos = []
    for number in range(30):
        marked = base.copy()
        ImageDraw.Draw(marked).rectangle((number * 50, 0, number * 50 + 40, 40), fill=(number * 8, 40, 90))
        photos.append(encode(marked, "JPEG", quality=97))
    return tuple(photos)


def test_thirty_large_images_share_the_request_byte_budget(stdio_plugin, sim, creds):
    photos = thirty_photos()
    assert sum(map(len, photos)) > 50_000_000, "sent as they are, the photos alone would exceed 50 MB"
    pid = stdio_plugin.process.pid
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    result = stdio_plugin.request(chat(VISION, creds, [image_part(raw, "image/jpeg") for raw in photos]), timeout=300)
    assert result.ok, result.error
    manifest = yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yaml").read_text())
    assert status_kb(pid, "VmHWM") * 1024 <= manifest["resource"]["memory"], "a 76 MB request fits the manifest"
    [recorded] = sim.requests("/v1/chat/completions")
    assert int(recorded.headers["content-length"]) < 50_000_000, "AtlasCloud's request limit"
    images = inspect_images(recorded.body)
    cap = ImagePolicy().limits("high", 30).max_bytes
    assert len(images) == 30 and cap < 1_000_000
    assert all(image["bytes"] <= cap for image in images)
    assert max(image["bytes"] for image in images) > cap * 0.6, "the cap, not the photos, set the size"


def test_a_cheap_request_is_answered_while_a_big_conversion_runs(stdio_plugin, sim, creds):
    """Four 64 MP PNGs with a colour profile take seconds to convert. A text chat sent once the
    conversion is under way must be answered before the big request reaches the simulator:
    conversion runs on real threads, not on the greenlet every session shares."""
    profile = wide_gamut_profile()
    parts = [image_part(zero_png(8000, 8000 - n, colour_type=2, icc=profile), "image/png") for n in range(4)]
    pid = stdio_plugin.process.pid
    outcome: dict = {}
    worker = threading.Thread(target=lambda: outcome.update(big=stdio_plugin.request(chat(VISION, creds, parts), 300)))
    worker.start()
    # A 64 MP RGB decode adds 256 MB: wait for that rise over the lowest RSS seen (the SDK lets
    # go of the previous request's buffers when this one arrives, so RSS may first fall).
    lowest, deadline = status_kb(pid, "VmRSS"), time.monotonic() + 60
    while status_kb(pid, "VmRSS") - lowest < 150 * 1024 and time.monotonic() < deadline:
        lowest = min(lowest, status_kb(pid, "VmRSS"))
        time.sleep(0.01)
    assert status_kb(pid, "VmRSS") - lowest >= 150 * 1024, "the conversion never started"
    quick = stdio_plugin.request(llm_request(VISION, creds, [{"role": "user", "content": "hi"}]), timeout=120)
    assert quick.ok and quick.text()
    bodies = [r.body for r in sim.requests("/v1/chat/completions")]
    assert len(bodies) == 1 and bodies[0]["messages"][0]["content"] == "hi", "answered before the big request"
    worker.join(300)
    assert outcome["big"].ok, outcome["big"].error
    assert len(inspect_images(sim.last_body())) == 4


def test_token_counts_read_headers_and_never_decode_pixels(stdio_plugin, creds):
    """A 64 MP progressive JPEG and a 64 MP PNG: decoding either costs 200+ MB, reading their
    headers nothing. Expected counts follow the sizing rule: the JPEG is sent at 2000x2000
    (1/4 DCT scale), the PNG at 1600x1600 (5x box reduction); Qwen's rule is one token per
    32x32 block, plus 2."""
    jpeg, png = zero_jpeg(8000, 8000), zero_png(8000, 8000, colour_type=2)
    parts = [image_part(jpeg, "image/jpeg"), image_part(png, "image/png")]
    pid = stdio_plugin.process.pid
    count_tokens(stdio_plugin, VISION, creds, [])  # tokenizer loaded before measuring
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    rss_before = status_kb(pid, "VmRSS")
    counted = count_tokens(stdio_plugin, VISION, creds, parts)
    growth_mb = (status_kb(pid, "VmHWM") - rss_before) / 1024
    text_only = count_tokens(stdio_plugin, VISION, creds, [])
    assert counted == text_only + (63 * 63 + 2) + (50 * 50 + 2)  # ceil(2000 / 32) = 63, 1600 / 32 = 50
    assert growth_mb < 40, f"token counting grew the plugin by {growth_mb:.0f} MB: pixels were decoded"


def test_a_model_without_vision_counts_the_placeholder_it_sends(stdio_plugin, sim, creds):
    raw = encode(photo(3000, 2000), "JPEG")
    part = image_part(raw, "image/jpeg", filename="IMG_0001.jpg")
    counted = count_tokens(stdio_plugin, TEXT_ONLY, creds, [part])
    assert stdio_plugin.request(chat(TEXT_ONLY, creds, [part])).ok
    sent = sim.last_body()["messages"][0]["content"]
    assert sent[1] == {"type": "text", "text": "[image 'IMG_0001.jpg' omitted: this model does not accept images]"}
    with_text = count_tokens(stdio_plugin, TEXT_ONLY, creds, [{"type": "text", "data": sent[1]["text"]}])
    assert counted == with_text, "the image counts exactly as the text that replaces it"
    assert counted < count_tokens(stdio_plugin, VISION, creds, [part]) - 1000


def test_cmyk_photo_with_a_colour_profile_comes_out_the_right_way_round(plugin, sim, creds):
    reference = photo(640, 480)
    raw = encode(reference.convert("CMYK"), "JPEG", quality=92, icc_profile=cmyk_profile())
    result = plugin.request(chat(VISION, creds, [image_part(raw, "image/jpeg")]))
    assert result.ok, result.error
    [image] = inspect_images(sim.last_body())
    assert image["mode"] == "RGB" and not image["has_icc"]
    reference_luma = ImageStat.Stat(reference.convert("L")).mean[0]
    assert abs(image["mean_luma"] - reference_luma) < 40, "inverted CMYK would be far darker or lighter"
