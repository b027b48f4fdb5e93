"""Calibration of the image memory estimate: measured peak memory of each conversion against
the estimate the budget reserves (models/vision_utils/image/plan.py), one fresh process per image.

Run: .venv/bin/python bench/bench_image_memory.py [--edge 2048|4096] [--only NAME ...]

For every image of the hostile corpus (testkit/hostile_images.py) and a few ordinary uploads:
the peak RSS that `prepare_image` adds (Linux VmHWM, reset just before), the estimate, their
ratio (must stay below 1: the estimate is what the budget reserves), and what the plugin's
default budget does with the image. The budget is lifted in the child so every image is
really converted and measured.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testkit.image_corpus import HOSTILE, flat_heif  # noqa: E402
from testkit.images import encode, exif_photo_jpeg, photo, screenshot  # noqa: E402


def _rgba_photo_with_hole(width: int, height: int) -> bytes:
    image = photo(width, height).convert("RGBA")
    image.paste((0, 0, 0, 0), (0, 0, width // 4, height // 4))
    return encode(image, "PNG", compress_level=1)


ORDINARY = {
    "phone-jpeg-24mp-rotated": (lambda: exif_photo_jpeg(6000, 4000, orientation=6), "image/jpeg"),
    "phone-jpeg-12mp": (lambda: exif_photo_jpeg(4032, 3024, orientation=1), "image/jpeg"),
    "progressive-photo-12mp": (lambda: encode(photo(4000, 3000), "JPEG", quality=90, progressive=True), "image/jpeg"),
    "png-screenshot-12mp": (lambda: encode(screenshot(4000, 3000), "PNG"), "image/png"),
    "png-rgba-photo-12mp": (lambda: _rgba_photo_with_hole(4000, 3000), "image/png"),
    "png-photo-2500px": (lambda: encode(photo(2500, 1600), "PNG", compress_level=1), "image/png"),
    "webp-photo-12mp": (lambda: encode(photo(4000, 3000), "WEBP", quality=80), "image/webp"),
    "heic-3mp": (lambda: flat_heif(2000, 1500, "HEIF"), "image/heic"),
    "avif-12mp": (lambda: flat_heif(4000, 3000), "image/avif"),
}

CHILD = """
import gc, json, os, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from provider.settings import Settings
from models.vision_utils.image.header import open_header
from models.vision_utils.image.sizing import ImageLimits
from models.vision_utils.image.convert import prepare_image
from models.vision_utils.image.plan import decode_cost, decode_plan
from provider.errors.tree import ImageError
from runtime.startup import configure_converter

configure_converter()  # as the plugin process does at start-up

def kb(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])

raw = Path({path!r}).read_bytes()
limits = ImageLimits({edge}, {edge} * {edge})
try:
    image = open_header(raw)
    estimate = decode_cost(image, decode_plan(image, raw, limits))
    image.close()
except ImageError as error:
    print(json.dumps({{"estimate": 0, "peak": 0, "ms": 0, "outcome": "header: " + str(error)[:70]}}))
    raise SystemExit
prepare_image(Path({warmup!r}).read_bytes(), limits)  # codec tables and lazy imports
gc.collect()
Path("/proc/self/clear_refs").write_text("5")
before = kb("VmRSS:")
started = time.perf_counter()
try:
    prepared = prepare_image(raw, limits)
    outcome = f"{{prepared.mime}} {{prepared.width}}x{{prepared.height}}"
except ImageError as error:
    outcome = "refused: " + str(error)[:60]
ms = (time.perf_counter() - started) * 1000
peak = (kb("VmHWM:") - before) * 1024
default = "fits" if estimate <= Settings().image_memory_bytes else "refused"
print(json.dumps({{"estimate": estimate, "peak": peak, "ms": ms, "outcome": outcome, "default": default}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--edge", type=int, default=2048)
    parser.add_argument("--only", nargs="*")
    options = parser.parse_args()
    cases = {**HOSTILE, **ORDINARY}
    header = f"{'image':30} {'MB in':>6} {'peak MB':>8} {'estimate':>8} {'ratio':>6} {'ms':>6}  budget   outcome"
    print(f"max edge {options.edge} px; peak = VmHWM growth during prepare_image in a fresh process")
    print(header)
    print("-" * len(header))
    worst = 0.0
    with tempfile.TemporaryDirectory() as folder:
        warmup = Path(folder) / "warmup.jpg"
        warmup.write_bytes(encode(photo(64, 64), "JPEG"))
        for name, (make, _mime) in cases.items():
            if options.only and name not in options.only:
                continue
            path = Path(folder) / name
            path.write_bytes(make())
            code = CHILD.format(root=str(ROOT), path=str(path), edge=options.edge, warmup=str(warmup))
            env = {**os.environ, "ATLASCLOUD_IMAGE_MEMORY_MB": "16384"}
            output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
            result = json.loads(output.stdout.strip().splitlines()[-1])
            ratio = result["peak"] / result["estimate"] if result["estimate"] else 0.0
            worst = max(worst, ratio)
            print(
                f"{name:30} {path.stat().st_size / 1e6:6.2f} {result['peak'] / 2**20:8.1f} "
                f"{result['estimate'] / 2**20:8.1f} {ratio:6.2f} {result['ms']:6.0f}  {result.get('default', '-'):8} "
                f"{result['outcome']}",
                flush=True,
            )
    print(f"highest measured/estimated ratio: {worst:.2f} (the estimate must stay above the measured peak)")


if __name__ == "__main__":
    main()
