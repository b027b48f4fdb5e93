"""Image conversion benchmark: the plugin's converter against a straightforward Pillow path.

Run: .venv/bin/python bench/bench_images.py [--runs N]

Cases: a 6000x4000 phone JPEG, a 4000x3000 PNG screenshot, and a 12-image request
(10 x 12 MP JPEG photos + 2 x 4K PNG screenshots). For each: median wall time, peak extra
memory (Linux VmHWM, reset per measurement), bytes in and out, and the speed-up over the
straightforward path (full decode, EXIF transpose, LANCZOS resize, re-encode) in the same run.
Noisy machines: read the ratios and medians, not single numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageDraw, ImageOps

from models.vision_utils.image.convert import prepare_image
from models.vision_utils.image.sizing import ImageLimits, fit_size
from runtime.startup import configure_converter
from testkit.images import encode, exif_photo_jpeg, photo, screenshot

LIMITS = ImageLimits()


def straightforward(raw: bytes, limits: ImageLimits) -> bytes:
    """What a plugin without a converter would write: decode everything, then shrink."""
    image = Image.open(io.BytesIO(raw))
    graphic = image.format == "PNG"
    image.load()
    image = ImageOps.exif_transpose(image) or image
    image = image.convert("RGB")
    image = image.resize(fit_size(*image.size, limits), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "PNG" if graphic else "JPEG", quality=85)
    return buffer.getvalue()


def ours(raw: bytes, limits: ImageLimits) -> bytes:
    return prepare_image(raw, limits).data


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return 0


def measure(convert: Callable[[bytes, ImageLimits], bytes], images: list[bytes], runs: int) -> dict:
    """Peak extra memory of the first (cold) run, median time of the following ones."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # reset the RSS high-water mark
    baseline = _status_kb("VmRSS:")
    out_bytes = sum(len(convert(raw, LIMITS)) for raw in images)
    peak_mb = max(0, _status_kb("VmHWM:") - baseline) / 1024
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        sum(len(convert(raw, LIMITS)) for raw in images)
        times.append(time.perf_counter() - started)
    return {"median_ms": statistics.median(times) * 1000, "peak_mb": peak_mb, "out": out_bytes}


def make_cases(folder: Path) -> dict[str, list[Path]]:
    base = photo(4000, 3000)
    photos = []
    for number in range(10):
        marked = base.copy()
        ImageDraw.Draw(marked).rectangle((number * 100, 0, number * 100 + 80, 80), fill=(number * 25, 0, 0))
        photos.append(encode(marked, "JPEG", quality=92))
    shots = [encode(screenshot(3840 + n, 2160), "PNG") for n in range(2)]
    cases = {
        "6000x4000 JPEG photo": [exif_photo_jpeg(6000, 4000, orientation=6)],
        "4000x3000 PNG screenshot": [encode(screenshot(4000, 3000), "PNG")],
        "12-image request": photos + shots,
    }
    paths: dict[str, list[Path]] = {}
    for index, (name, images) in enumerate(cases.items()):
        paths[name] = []
        for number, raw in enumerate(images):
            path = folder / f"{index}-{number}.img"
            path.write_bytes(raw)
            paths[name].append(path)
    return paths


def child(files: list[str], path: str, runs: int) -> None:
    """One measurement in a fresh process, so memory peaks are not hidden by earlier runs."""
    images = [Path(f).read_bytes() for f in files]
    convert = ours if path == "plugin" else straightforward
    if path == "plugin":
        prepare_image(encode(photo(64, 64), "JPEG"), LIMITS)  # warm-up: codec tables, imports
    print(json.dumps(measure(convert, images, runs)))


def main() -> None:
    configure_converter()  # as the plugin process does at start-up
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--child", nargs="*")
    parser.add_argument("--path")
    options = parser.parse_args()
    if options.child:
        return child(options.child, options.path, options.runs)
    print(f"runs per case: {options.runs} (median reported); limits: {LIMITS}")
    header = f"{'case':26} {'path':16} {'median ms':>10} {'peak MB':>8} {'MB in':>7} {'MB out':>7} {'speed-up':>9}"
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as folder:
        for name, files in make_cases(Path(folder)).items():
            size_in = sum(f.stat().st_size for f in files) / 1e6
            results = {}
            for path in ("straightforward", "plugin"):
                command = [sys.executable, __file__, "--runs", str(options.runs), "--path", path, "--child"]
                output = subprocess.run(command + [str(f) for f in files], capture_output=True, text=True, check=True)
                results[path] = json.loads(output.stdout.strip().splitlines()[-1])
            for path, result in results.items():
                ratio = results["straightforward"]["median_ms"] / result["median_ms"]
                print(
                    f"{name:26} {path:16} {result['median_ms']:10.1f} {result['peak_mb']:8.1f} "
                    f"{size_in:7.2f} {result['out'] / 1e6:7.2f} {ratio:8.2f}x",
                    flush=True,
                )


if __name__ == "__main__":
    main()
