"""Token counting for a conversation full of phone photos, through the real plugin process,
for the current tree and the baseline tree (bench/baseline.py) in the same run.

Run: .venv/bin/python bench/bench_tokens.py [--photos 20] [--runs 5] [--baseline-ref REF]

The request is Dify's `get_llm_num_tokens` with one user message holding `--photos` distinct
6000x4000 phone photos (JPEG quality 82-92: 3.5-7 MB each, with an EXIF block carrying a
camera maker note), about 130 MB of JSON for 20 photos. Rows:
- current / baseline: the vision model qwen3.5-27b, through the plugin process of each tree;
- current, no vision: the same request for a model without vision, whose images are counted as
  their placeholder text: counting never reads them (while the line is parsed, each image is cut
  after its header, for any model: runtime/count_filter.py), so this row is about what the
  SDK alone costs (reading the 130 MB line from stdin, parsing it, building the messages);
- "code only": our counting alone on already parsed messages, in a fresh process per tree.
Printed: median and best wall time from writing the request line to the answer (the line is
serialised once, before timing), the token count, and the plugin's memory: RSS before the
request and its peak growth during it (Linux VmRSS and VmHWM of the plugin process, the
high-water mark reset before each request), also as a ratio to the request's size. Target
(issue 11): under 400 ms, of which ~100 ms is JSON parsing, and growth no larger than the
request itself. This machine is shared: read the rows of one run against each other, not
against other runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import queue
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import ImageDraw  # noqa: E402

from bench.baseline import DEFAULT_BASELINE_REF, baseline_tree  # noqa: E402
from testkit.images import encode, image_part, photo  # noqa: E402
from testkit.plugin_driver import PluginProcess, _collect, action_request  # noqa: E402
from testkit.simulator.server import Simulator  # noqa: E402

MODEL = "qwen/qwen3.5-27b"
TEXT_MODEL = "deepseek-ai/deepseek-v3.2"
CODE_ONLY = """
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
import dify_plugin  # noqa: F401
from functools import partial
from dify_plugin.core.entities.plugin.request import ModelGetLLMNumTokens
try:
    from models.common.catalog import plugin_settings
    from models.vision_utils.tokens.prompt import count_prompt_tokens
    from models.vision_utils.tokens.image import estimate_image_tokens
    from models.vision_utils.image.policy import ImagePolicy
    from runtime.startup import configure_converter

    configure_converter()  # as the plugin process does at start-up
except ImportError:  # a baseline tree from before the re-rooming (issue 18)
    from models.catalog import plugin_settings
    from models.llm.tokens import count_prompt_tokens
    from models.vision_utils.content import estimate_image_tokens
    from models.vision_utils.policy import ImagePolicy

request = ModelGetLLMNumTokens.model_validate(json.loads(sys.stdin.read()))
count = partial(estimate_image_tokens, policy=ImagePolicy.from_config(plugin_settings(request.model)))
count_prompt_tokens(request.prompt_messages[:0] + [request.prompt_messages[0].model_copy(update={"content": "hi"})],
                    None, count)  # tokenizer loaded
times = []
for _ in range(int(sys.argv[2])):
    started = time.perf_counter()
    tokens = count_prompt_tokens(request.prompt_messages, None, count)
    times.append(time.perf_counter() - started)
print(json.dumps({"median_ms": statistics.median(times) * 1000, "tokens": tokens}))
"""


def phone_photos(count: int) -> list[bytes]:
    """Distinct 24 MP photos: sensor-like noise and gradients, EXIF with a 40 kB maker note."""
    base = photo(6000, 4000)
    photos = []
    for number in range(count):
        marked = base.copy()
        ImageDraw.Draw(marked).rectangle((number * 250, 100, number * 250 + 200, 300), fill=(number * 12, 90, 200))
        exif = marked.getexif()
        exif[0x010F] = "PhoneMaker"
        exif[0x0112] = 1 + number % 8
        exif.get_ifd(0x8769)[0x927C] = bytes(range(256)) * 160  # MakerNote
        photos.append(encode(marked, "JPEG", quality=82 + number % 11, exif=exif))
    return photos


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def send_line(plugin: PluginProcess, line_for: callable) -> tuple[float, dict]:
    """Write one pre-serialised request and wait for its answer (the driver's own plumbing)."""
    session_id = f"s-{uuid.uuid4().hex}"
    line = line_for(session_id)
    inbox: queue.Queue = queue.Queue()
    with plugin._lock:
        plugin._sessions[session_id] = inbox
    started = time.perf_counter()
    plugin.process.stdin.write(line)
    plugin.process.stdin.flush()
    result = _collect(lambda: inbox.get(timeout=300), None)
    elapsed = time.perf_counter() - started
    with plugin._lock:
        plugin._sessions.pop(session_id, None)
    return elapsed, result.single()


def measure(tree: Path, request: dict, runs: int) -> dict:
    body = json.dumps(request)
    prefix = '{"session_id": "'

    def line_for(session_id: str) -> bytes:
        envelope = f'{prefix}{session_id}", "event": "request", "conversation_id": null, "message_id": null, '
        envelope += '"app_id": null, "endpoint_id": null, "context": {}, "data": '
        return (envelope + body + "}\n").encode()

    with PluginProcess("local", plugin_dir=tree) as plugin:
        pid = plugin.process.pid
        small = {**request, "prompt_messages": [{"role": "user", "content": "warm up"}]}
        plugin.request(small).single()  # imports, tokenizer, first-request costs
        times, growth, counts, before = [], [], [], []
        for _ in range(runs):
            with contextlib.suppress(OSError):
                Path(f"/proc/{pid}/clear_refs").write_text("5")
            rss = status_kb(pid, "VmRSS")
            elapsed, answer = send_line(plugin, line_for)
            times.append(elapsed)
            before.append(rss)
            growth.append(status_kb(pid, "VmHWM") - rss)
            counts.append(answer["num_tokens"])
    return {
        "median_ms": statistics.median(times) * 1000,
        "min_ms": min(times) * 1000,
        "tokens": counts[-1],
        "rss_before_mb": statistics.median(before) / 1024,
        "growth_mb": max(growth) / 1024,
    }


def code_only(tree: Path, request: dict, runs: int) -> dict:
    """Our counting alone, on messages the SDK already parsed, in a fresh process of that tree."""
    output = subprocess.run(
        [sys.executable, "-c", CODE_ONLY, str(tree), str(runs)],
        input=json.dumps(request), capture_output=True, text=True, check=True, cwd=tree,
    )  # fmt: skip
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline-ref", default=DEFAULT_BASELINE_REF)
    options = parser.parse_args()
    photos = phone_photos(options.photos)
    content = [{"type": "text", "data": "What do these photos have in common?"}]
    content += [image_part(raw, "image/jpeg", filename=f"IMG_{n:04}.jpg") for n, raw in enumerate(photos)]
    baseline = baseline_tree(options.baseline_ref)
    sim = Simulator().start()
    try:
        credentials = {"api_key": sim.state.api_key, "endpoint_url": sim.base_url}
        messages = [{"role": "user", "content": content}]
        request = action_request("get_llm_num_tokens", "llm", MODEL, credentials, prompt_messages=messages, tools=None)
        text_request = {**request, "model": TEXT_MODEL}
        line = json.dumps(request)
        request_mb = len(line) / 2**20
        started = time.perf_counter()
        json.loads(line)
        parse_ms = (time.perf_counter() - started) * 1000
        print(f"{options.photos} photos of 6000x4000, {min(map(len, photos)) / 1e6:.1f}-"
              f"{max(map(len, photos)) / 1e6:.1f} MB each; request {request_mb:.0f} MiB of JSON; "
              f"json.loads of it in this process: {parse_ms:.0f} ms; {options.runs} runs per row")  # fmt: skip
        rows = {
            "current": measure(ROOT, request, options.runs),
            "current, no vision": measure(ROOT, text_request, options.runs),
            f"baseline {options.baseline_ref}": measure(baseline, request, options.runs),
        }
        ours = {"current": code_only(ROOT, request, options.runs), "baseline": code_only(baseline, request, 3)}
    finally:
        sim.stop()
    header = f"{'plugin process':22} {'median ms':>10} {'best ms':>8} {'tokens':>7} {'RSS before MB':>14}"
    header += f" {'peak growth MB':>15}"
    print(header)
    print("-" * len(header))
    for name, result in rows.items():
        print(
            f"{name:22} {result['median_ms']:10.0f} {result['min_ms']:8.0f} {result['tokens']:7} "
            f"{result['rss_before_mb']:14.0f} {result['growth_mb']:15.0f}"
        )
    current, floor, before = rows.values()
    mine, theirs = ours["current"]["median_ms"], ours["baseline"]["median_ms"]
    print(f"code only (parsed messages): current {mine:.0f} ms, baseline {theirs:.0f} ms ({theirs / mine:.0f}x)")
    print(
        f"peak growth against the request's size (target: at most 1.0x): current "
        f"{current['growth_mb'] / request_mb:.2f}x, baseline {before['growth_mb'] / request_mb:.2f}x"
    )
    print(
        f"through the plugin: {before['median_ms'] / current['median_ms']:.1f}x faster than the baseline; "
        f"{current['median_ms'] - floor['median_ms']:+.0f} ms and {current['growth_mb'] - floor['growth_mb']:+.0f} MB "
        f"over the SDK's own cost for this {request_mb:.0f} MiB request (the no-vision row)"
    )


if __name__ == "__main__":
    main()
