"""Request lines longer than 8 MiB (Dify sends images inline as base64), through the plugin process:
parsed as their pieces arrive (runtime/stdin_reader.py), answered like short ones, in about their size; a
token count keeps only its images' headers (runtime/count_filter.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PIL import Image

from runtime.stdin_reader import INCREMENTAL_FROM_BYTES
from testkit.images import encode, image_part, photo
from testkit.plugin_driver import PluginProcess, action_request, llm_request
from tests.e2e.image_helpers import status_kb

VISION = "qwen/qwen3.5-27b"
TEXT_ONLY = "deepseek-ai/deepseek-v3.2"  # images count as placeholder text: their bytes are never read
MIB = 1024 * 1024


def as_the_daemon_writes(data: dict) -> dict:
    """The daemon sends `data` as Go maps, whose keys encoding/json writes sorted: `action` before
    `prompt_messages`, and in each content part `base64_data` before `type`."""
    return json.loads(json.dumps(data, sort_keys=True))


def user_messages(images: list[dict]) -> list[dict]:
    return [{"role": "user", "content": [{"type": "text", "data": "What is in these?"}, *images]}]


def count_request(model: str, creds: dict, images: list[dict]) -> dict:
    request = action_request(
        "get_llm_num_tokens", "llm", model, creds, prompt_messages=user_messages(images), tools=None
    )
    return as_the_daemon_writes(request)


def counted(plugin: PluginProcess, request: dict) -> int:
    result = plugin.request(request, timeout=120)
    assert result.ok, result.error
    return result.single()["num_tokens"]


def test_a_request_over_8_mib_is_answered_like_the_same_images_sent_small(plugin, creds):
    noise = Image.frombytes("RGB", (1800, 1700), os.urandom(1800 * 1700 * 3))  # incompressible: ~9 MB
    large = count_request(VISION, creds, [image_part(encode(noise, "PNG", compress_level=1), "image/png")])
    plain = count_request(VISION, creds, [image_part(encode(Image.new("RGB", (1800, 1700)), "PNG"), "image/png")])
    assert len(json.dumps(large)) > INCREMENTAL_FROM_BYTES > len(json.dumps(plain))
    tokens = counted(plugin, large)
    assert tokens == counted(plugin, plain) > 3000  # 57x54 blocks of 32 px, plus the text
    assert plugin.alive and counted(plugin, plain) == tokens


@pytest.fixture
def own_plugin():
    """A process of its own, so its memory high-water mark belongs to this test alone."""
    with PluginProcess("local") as process:
        yield process


def test_a_long_request_line_takes_about_its_own_size_in_memory(own_plugin, creds):
    def junk_image(size: int) -> dict:
        return image_part(os.urandom(size), "image/jpeg")

    request = count_request(TEXT_ONLY, creds, [junk_image(6 * MIB) for _ in range(6)])  # 48 MiB of base64
    line_bytes = len(json.dumps(request))
    counted(own_plugin, count_request(TEXT_ONLY, creds, [junk_image(MIB)]))  # first-use costs
    pid = own_plugin.process.pid
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset VmHWM: measure this request only
    rss_before = status_kb(pid, "VmRSS")
    assert counted(own_plugin, request) > 0
    growth = (status_kb(pid, "VmHWM") - rss_before) * 1024
    print(f"\nrequest line {line_bytes / MIB:.0f} MiB, peak growth {growth / MIB:.0f} MiB ({growth / line_bytes:.2f}x)")
    # Its parsed text is ~1x, plus a 4 MiB parse batch and the value being read (1.25x measured);
    # joining the line and parsing it whole held both line and text (2.95x).
    assert growth < 1.5 * line_bytes


@pytest.fixture(scope="module")
def photos() -> list[dict]:
    """About 20 MiB of base64: six 6 MP photos and one whose frame header sits 300 kB in (after a
    colour profile), so its header is read in several doublings."""
    late_header = encode(photo(1600, 1200), "JPEG", quality=90, icc_profile=os.urandom(300_000))
    raw = [encode(photo(3000, 2000), "JPEG", quality=95) for _ in range(6)] + [late_header]
    return [image_part(data, "image/jpeg", filename=f"IMG_{n}.jpg") for n, data in enumerate(raw)]


def test_a_long_token_count_counts_its_whole_images_and_keeps_only_their_headers(own_plugin, creds, photos):
    request = count_request(VISION, creds, photos)
    line_bytes = len(json.dumps(request))
    assert line_bytes > INCREMENTAL_FROM_BYTES
    counted(own_plugin, request)  # first-use costs, the long-line parser's included
    assert all(len(json.dumps(count_request(VISION, creds, [image]))) < INCREMENTAL_FROM_BYTES for image in photos)
    pid = own_plugin.process.pid
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    rss_before = status_kb(pid, "VmRSS")
    tokens = counted(own_plugin, request)
    growth = (status_kb(pid, "VmHWM") - rss_before) * 1024
    # Each image alone makes a short line, parsed whole by the SDK's reader and never cut.
    alone = [counted(own_plugin, count_request(VISION, creds, [image])) for image in photos]
    text_only = counted(own_plugin, count_request(VISION, creds, []))
    assert tokens == sum(alone) - (len(photos) - 1) * text_only > 4 * 1000
    print(f"\ncount line {line_bytes / MIB:.1f} MiB, peak growth {growth / MIB:.1f} MiB ({growth / line_bytes:.2f}x)")
    # Whole, its parsed images alone are 1x (1.19x measured). Cut: the line's first 8 MiB, read
    # before it is known to be long, and the image being read (0.67x measured).
    assert growth < 0.9 * line_bytes


def test_a_long_chat_request_sends_its_images_whole(plugin, creds, sim, photos):
    """Only a count is cut: a chat line of the same images sends what each image sent alone sends."""

    def sent_images(images: list[dict]) -> list[str]:
        sim.reset()
        request = as_the_daemon_writes(llm_request(VISION, creds, user_messages(images), stream=False))
        result = plugin.request(request, timeout=120)
        assert result.ok, result.error
        content = sim.last_body()["messages"][-1]["content"]
        return [part["image_url"]["url"] for part in content if part["type"] == "image_url"]

    together = sent_images(photos)
    assert len(json.dumps(photos)) > INCREMENTAL_FROM_BYTES
    assert together == [url for image in photos for url in sent_images([image])]
    assert all(len(url) > 20_000 for url in together)
