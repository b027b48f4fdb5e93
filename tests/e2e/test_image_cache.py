"""The conversion cache, through the real plugin process: Dify resends a conversation's images
on every turn, and each is converted once; the cache holds at most 64 MB of converted images
and forgets the oldest first (README, Images). Decodes are counted by a sitecustomize on the
plugin's PYTHONPATH (tests/e2e/decode_counter/), so no timing is involved."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from PIL import Image

from testkit.images import encode, image_part
from testkit.plugin_driver import PluginProcess, llm_request
from testkit.simulator.inspect import inspect_images

VISION = "qwen/qwen3.5-27b"
COUNTER = Path(__file__).parent / "decode_counter"
CACHE_BOUND = 64 * 1024 * 1024  # the README's figure, not the constant in the code under test


@pytest.fixture(scope="module")
def counted(tmp_path_factory):
    count_file = tmp_path_factory.mktemp("decodes") / "count"
    count_file.write_text("")
    env = {"PYTHONPATH": os.pathsep.join([str(COUNTER), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    process = PluginProcess("local", extra_env={**env, "DECODE_COUNT_FILE": str(count_file)})
    yield process, count_file
    process.stop()


def noise(seed: int) -> bytes:
    """A 1600x1600 JPEG of noise, 2.5 MB: within a lone image's limits (2048 px, 3 MiB), so the
    plugin sends it as it is (after decoding it once to check it), and ~26 fill the cache."""
    data = random.Random(seed).randbytes(1600 * 1600 * 3)
    return encode(Image.frombytes("RGB", (1600, 1600), data), "JPEG", quality=92)


def send(process: PluginProcess, sim, creds: dict, raw: bytes) -> int:
    """Ask about one image; the size of the converted image AtlasCloud received."""
    content = [{"type": "text", "data": "Describe."}, image_part(raw, "image/jpeg")]
    result = process.request(llm_request(VISION, creds, [{"role": "user", "content": content}]))
    assert result.ok, result.error
    (sent,) = inspect_images(sim.last_body())
    return sent["bytes"]


def decodes(count_file: Path) -> int:
    return len(count_file.read_text().splitlines())


def test_each_image_is_converted_once_and_the_oldest_is_forgotten_past_64_mb(counted, sim, creds):
    process, count_file = counted
    first = noise(0)
    size_first = send(process, sim, creds, first)
    after_first = decodes(count_file)
    assert after_first >= 1, "the counter sees conversions"
    assert send(process, sim, creds, first) == size_first
    assert decodes(count_file) == after_first, "the next turn's copy of the image came from the cache"

    # Distinct images until the cache's total passes 64 MB: the first image, the oldest, goes.
    held, sizes, seed = size_first, [], 1
    while held <= CACHE_BOUND:
        sizes.append(send(process, sim, creds, noise(seed)))
        held += sizes[-1]
        seed += 1
    assert 20 <= len(sizes) <= 30, sizes  # the images really were ~2.5 MB each
    before = decodes(count_file)
    send(process, sim, creds, noise(1))
    assert decodes(count_file) == before, "the second image, within the bound, is still cached"
    send(process, sim, creds, first)
    assert decodes(count_file) > before, "the first image was forgotten: the cache stays within 64 MB"
