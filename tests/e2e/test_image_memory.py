"""Hostile images through the real plugin process, eight at a time: every request is answered
(converted, or refused with an InvokeBadRequestError that names the problem), the process's
peak memory stays within the stated figure, and it keeps serving afterwards."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest
import yaml

from provider.settings import Settings
from testkit.image_corpus import HOSTILE
from testkit.images import image_part, transparent_png
from testkit.plugin_driver import PluginProcess, llm_request
from testkit.simulator.inspect import inspect_images
from tests.e2e.image_helpers import concurrent_stdio_plugin, status_kb

VISION = "qwen/qwen3.5-27b"
MIB = 2**20
ROOT = Path(__file__).resolve().parents[2]
# The README's figure for image work: Python, the SDK and the plugin (~100 MB) plus the budget.
IMAGE_PROCESS_LIMIT_MB = 512
REFUSED = {
    "progressive-jpeg-260mp": r"16000x16250 \(260 MP\); decoding this progressive JPEG would need about \d+ MB",
    "cmyk-jpeg-with-profile-64mp": r"8000x8000 \(64 MP\); decoding this progressive JPEG would need",
    "webp-lossy-64mp": r"decoding this WEBP \(RGB\) would need about \d+ MB, more than the 384 MB",
    "webp-lossless-64mp": r"decoding this WEBP \(RGB\) would need",
    "jpeg-header-4gp": r"too many pixels to be safe to decode",
    "png-header-900mp": r"too many pixels to be safe to decode",
    "gif-header-4gp": r"too many pixels to be safe to decode",
    "tiff-header-10gp": r"too many pixels to be safe to decode",
    "tiff-strip-table-bomb": r"the TIFF directory has a 4 MB entry",
}


@cache
def corpus() -> dict[str, tuple[bytes, str]]:
    """Made once per session (a few seconds, a few MB in memory, nothing on disk)."""
    return {name: (make(), mime) for name, (make, mime) in HOSTILE.items()}


def ask(plugin: PluginProcess, creds: dict, name: str, raw: bytes, mime: str):
    content = [{"type": "text", "data": "Describe."}, image_part(raw, mime, filename=f"{name}.img")]
    request = llm_request(VISION, creds, [{"role": "user", "content": content}], parameters={"thinking": False})
    return plugin.request(request, timeout=300)


@pytest.fixture(scope="module")
def fresh_plugin():
    """A process of its own, so its high-water mark belongs to this run alone."""
    process = concurrent_stdio_plugin()
    yield process
    process.stop()


def test_the_hostile_corpus_eight_at_a_time_stays_within_the_memory_figure(fresh_plugin, sim, creds):
    images = corpus()
    assert ask(fresh_plugin, creds, "warm-up", transparent_png(), "image/png").ok
    pid = fresh_plugin.process.pid
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset VmHWM: measure this run only
    rss_before = status_kb(pid, "VmRSS")
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = {name: pool.submit(ask, fresh_plugin, creds, name, raw, mime) for name, (raw, mime) in images.items()}
        results = {name: future.result() for name, future in futures.items()}
    peak_kb = status_kb(pid, "VmHWM")

    for name, result in results.items():
        if name in REFUSED:
            assert result.error_type == "InvokeBadRequestError", (name, result.error)
            assert f"Image '{name}.img' cannot be sent" in result.message
            assert re.search(REFUSED[name], result.message), (name, result.message)
        else:
            assert result.ok, (name, result.error)
    assert fresh_plugin.alive
    assert ask(fresh_plugin, creds, "after", transparent_png(), "image/png").ok, "still serving"

    manifest = yaml.safe_load((ROOT / "manifest.yaml").read_text())
    peak_mb = peak_kb / 1024
    print(f"\n{len(images)} hostile images, 8 at a time: VmHWM {peak_mb:.0f} MiB, before {rss_before / 1024:.0f} MiB")
    assert peak_mb <= IMAGE_PROCESS_LIMIT_MB
    assert peak_kb * 1024 <= manifest["resource"]["memory"]
    assert (peak_kb - rss_before) * 1024 <= Settings().image_memory_bytes * 1.1, "growth beyond the budget"
    assert status_kb(pid, "VmRSS") - rss_before < 128 * 1024, "freed image memory went back to the OS"


@pytest.mark.parametrize("name", ["gif-100k-frames", "apng-5k-frames", "webp-300-frames", "tiff-50k-pages"])
def test_many_frame_images_send_their_first_frame_only(plugin, sim, creds, name):
    """The first frame is black and every later one white (testkit/hostile_images.py)."""
    raw, mime = corpus()[name]
    assert ask(plugin, creds, name, raw, mime).ok
    [image] = inspect_images(sim.last_body())
    assert image["frames"] == 1 and (image["width"], image["height"]) == (64, 64)
    assert image["corner_pixel"][:3] == (0, 0, 0), "a later frame was sent"
