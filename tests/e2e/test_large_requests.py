"""Request lines longer than 8 MiB (Dify sends images inline as base64), through the plugin process:
parsed as their pieces arrive (models/stdio.py), answered like short ones, in about their size."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PIL import Image

from models.stdio import INCREMENTAL_FROM_BYTES
from tests.e2e.image_helpers import status_kb
from tests.images import encode, image_part
from tests.plugin_driver import PluginProcess, action_request

VISION = "qwen/qwen3.5-27b"
TEXT_ONLY = "deepseek-ai/deepseek-v3.2"  # images count as placeholder text: their bytes are never read
MIB = 1024 * 1024


def count_request(model: str, creds: dict, images: list[dict]) -> dict:
    messages = [{"role": "user", "content": [{"type": "text", "data": "What is in these?"}, *images]}]
    return action_request("get_llm_num_tokens", "llm", model, creds, prompt_messages=messages, tools=None)


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
    # Its parsed text is ~1x; joining the line and parsing it whole held both: 2x.
    assert growth < 1.3 * line_bytes
