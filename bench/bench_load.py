"""Streaming under load: N concurrent streams through one plugin process, beside the direct client.

Run: .venv/bin/python bench/bench_load.py [--streams 1 8 32 64] [--deltas 500] [--gap-ms 10]

Every stream is --deltas one-word deltas --gap-ms apart (a realistic model pace) from the
simulator in its own process. For each N, the same N streams run through the current plugin,
the baseline build's plugin (both as Dify's daemon runs them) and the `openai` client directly.
Reports the median time to first chunk, the p99 gap between chunks received, and plugin CPU per
1,000 upstream deltas. All figures come from the same run; no assertion is made on time.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openai

from bench.baseline import DEFAULT_BASELINE_REF, baseline_tree
from bench.harness import ROOT, SimulatorProcess, cpu_seconds, median, percentile, simulator
from testkit.plugin_driver import PluginProcess, llm_request

MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"
PROMPT = [{"role": "user", "content": "stream please"}]

# One stream: (seconds to first chunk, gaps between chunks)
Timings = tuple[float, list[float]]


def timed_stream(consume: Callable[[Callable[[], None]], None]) -> Timings:
    arrivals: list[float] = []
    started = time.perf_counter()
    consume(lambda: arrivals.append(time.perf_counter()))
    return arrivals[0] - started, [b - a for a, b in itertools.pairwise(arrivals)]


def via_plugin(plugin: PluginProcess, sim: SimulatorProcess) -> Timings:
    def consume(mark: Callable[[], None]) -> None:
        result = plugin.request(llm_request(MODEL, sim.credentials, PROMPT), timeout=300, on_output=lambda _: mark())
        assert result.ok, result.error

    return timed_stream(consume)


def direct(sim: SimulatorProcess) -> Timings:
    client = openai.OpenAI(api_key=sim.api_key, base_url=sim.base_url, max_retries=0)

    def consume(mark: Callable[[], None]) -> None:
        for _ in client.chat.completions.create(model=MODEL, messages=PROMPT, stream=True):  # type: ignore[arg-type]
            mark()

    return timed_stream(consume)


def concurrently(count: int, one: Callable[[], Timings]) -> list[Timings]:
    results: list[Timings] = []
    lock = threading.Lock()

    def run() -> None:
        timings = one()
        with lock:
            results.append(timings)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def report(label: str, results: list[Timings], cpu: float | None, deltas: int) -> None:
    first = median([r[0] for r in results])
    gap = percentile([g for r in results for g in r[1]], 0.99)
    cpu_text = f"{cpu * 1000 / (deltas / 1000):10.1f}" if cpu is not None else f"{'-':>10}"
    print(f"  {label:22} {first * 1000:14.1f} {gap * 1000:11.1f} {cpu_text}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--deltas", type=int, default=500)
    parser.add_argument("--gap-ms", type=float, default=10.0)
    parser.add_argument("--baseline", default=DEFAULT_BASELINE_REF)
    options = parser.parse_args()
    builds = {"plugin": ROOT, f"baseline {options.baseline}": baseline_tree(options.baseline)}
    with simulator("--stream-deltas", str(options.deltas), "--delta-gap-ms", str(options.gap_ms)) as sim:
        processes = {label: PluginProcess("local", plugin_dir=path) for label, path in builds.items()}
        try:
            for process in processes.values():
                via_plugin(process, sim)  # warm-up
            print(f"{options.deltas} deltas per stream, {options.gap_ms:g} ms apart")
            for count in options.streams:
                print(f"N={count}: {'route':20} {'first chunk ms':>14} {'p99 gap ms':>11} {'CPU ms/1k':>10}")
                for label, process in processes.items():
                    before = cpu_seconds(process.process.pid)
                    results = concurrently(count, lambda p=process: via_plugin(p, sim))
                    cpu = cpu_seconds(process.process.pid) - before
                    report(label, results, cpu, count * options.deltas)
                report("openai direct", concurrently(count, lambda: direct(sim)), None, count * options.deltas)
        finally:
            for process in processes.values():
                process.stop()


if __name__ == "__main__":
    main()
