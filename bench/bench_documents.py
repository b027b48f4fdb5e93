"""Documents through the plugin process: time and peak memory of a chat call and of its token count.

Run: .venv/bin/python bench/bench_documents.py [--runs N] [--mode local|serverless] [--set VAR=VALUE ...]
(`--set ATLASCLOUD_DOCUMENT_MAX_CHARS=2000000` reads all 300 pages; the model's context still cuts what is sent)

Cases (built at run time, testkit/documents.py): a 300-page text PDF (45 lines a page, ~1 M
characters) and a 50-page scanned PDF (one 850x1100 JPEG a page), each sent to a vision model
with the default limits, through `python -m main` and the local simulator. For each case:

- invoke: the chat call on a new document (read, planned, page images rendered and converted):
  the time to its first answer chunk (all the document work is done by then), the whole call
  (the simulator then streams back an echo of the prompt), the plugin's peak RSS (Linux VmHWM of
  the plugin process, reset before the call) and the reader process's own peak (from the plugin log);
- count cold: get_num_tokens on a new document (read once, never rendered);
- count warm: get_num_tokens again on the same content (the cached extraction), which is what
  Dify's call before each chat message costs on every later turn;
- what was sent: pages of text, characters, page images, request size.
Medians over --runs; every run uses fresh documents (a different first line) so nothing is cached
across runs unless the case says so.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from testkit.documents import document_part, scanned_pdf, text_pdf
from testkit.plugin_driver import PluginProcess, action_request, llm_request
from testkit.simulator.inspect import inspect_images
from testkit.simulator.server import Simulator

VISION = "qwen/qwen3.5-27b"
READER_PEAK = re.compile(r"reader peak (\d+) MB")


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def fresh(make: Callable[[], bytes], run: int) -> bytes:
    """Other bytes for each run, the same document: a comment after %%EOF changes the content hash."""
    return make() + b"%% run %d\n" % run


def messages(raw: bytes, name: str) -> list[dict]:
    return [
        {
            "role": "user",
            "content": [{"type": "text", "data": "Summarise."}, document_part(raw, "application/pdf", name)],
        }
    ]


def reader_peaks(plugin: PluginProcess, since: int) -> list[int]:
    return [int(match.group(1)) for line in plugin.stdout_lines[since:] if (match := READER_PEAK.search(line))]


def measure(plugin: PluginProcess, sim: Simulator, creds: dict, make: Callable[[], bytes], name: str, run: int) -> dict:
    raw = fresh(make, run)
    pid = plugin.process.pid
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    base = status_kb(pid, "VmRSS")
    log_mark = len(plugin.stdout_lines)
    first: list[float] = []
    call_started = started = time.perf_counter()
    result = plugin.request(
        llm_request(VISION, creds, messages(raw, name), parameters={"thinking": False}),
        timeout=600,
        on_output=lambda _: first or first.append(time.perf_counter()),
    )
    invoke_s = time.perf_counter() - started
    assert result.ok, result.error
    peak = status_kb(pid, "VmHWM")
    body = sim.last_body()
    text = "\n".join(p["text"] for p in body["messages"][0]["content"] if p["type"] == "text")
    count = action_request("get_llm_num_tokens", "llm", VISION, creds, prompt_messages=messages(raw, name), tools=[])
    started = time.perf_counter()
    assert plugin.request(count, timeout=600).ok
    warm_s = time.perf_counter() - started
    cold = action_request(
        "get_llm_num_tokens", "llm", VISION, creds, prompt_messages=messages(fresh(make, run + 1000), name), tools=[]
    )
    started = time.perf_counter()
    counted = plugin.request(cold, timeout=600)
    cold_s = time.perf_counter() - started
    assert counted.ok, counted.error
    return {
        "invoke_s": invoke_s,
        "first_chunk_s": first[0] - call_started,
        "count_cold_s": cold_s,
        "count_warm_s": warm_s,
        "plugin_peak_mb": peak / 1024,
        "plugin_growth_mb": (peak - base) / 1024,
        "reader_peak_mb": max(reader_peaks(plugin, log_mark), default=0),
        "pages_sent": text.count("\n[page "),
        "chars_sent": len(text),
        "page_images": len(inspect_images(body)),
        "request_mb": len(json.dumps(body)) / 1e6,
        "tokens": counted.single()["num_tokens"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--mode", default="local", choices=["local", "serverless"])
    parser.add_argument("--set", nargs="*", default=[], help="plugin environment variables, VAR=VALUE")
    options = parser.parse_args()
    env = dict(item.split("=", 1) for item in options.set)
    sim = Simulator().start()
    creds = {"api_key": sim.state.api_key, "endpoint_url": sim.base_url}
    cases = {
        "300-page text PDF": (lambda: text_pdf(300), "text300.pdf"),
        "50-page scanned PDF": (lambda: scanned_pdf(50), "scan50.pdf"),
    }
    try:
        with PluginProcess(options.mode, extra_env=env) as plugin:
            print(f"plugin process ({options.mode}), {options.runs} runs, medians; limits: {env or 'the defaults'}")
            for label, (make, name) in cases.items():
                runs = [measure(plugin, sim, creds, make, name, run) for run in range(options.runs)]
                median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
                print(
                    f"{label}: first answer chunk {median['first_chunk_s']:.2f} s, "
                    f"whole call {median['invoke_s']:.2f} s, "
                    f"count cold {median['count_cold_s']:.2f} s, "
                    f"count warm {median['count_warm_s']:.3f} s; plugin peak RSS {median['plugin_peak_mb']:.0f} MB "
                    f"(+{median['plugin_growth_mb']:.0f} MB during the call), "
                    f"reader peak {median['reader_peak_mb']:.0f} MB; "
                    f"sent {median['pages_sent']:.0f} pages, {median['chars_sent']:,.0f} characters, "
                    f"{median['page_images']:.0f} page images, {median['request_mb']:.1f} MB request, "
                    f"{median['tokens']:,.0f} tokens counted",
                    flush=True,
                )
            print(f"longest output line: {plugin.longest_line / 2**20:.2f} MiB")
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
