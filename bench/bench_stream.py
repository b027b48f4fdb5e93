"""Streaming cost: the plugin route against the openai client calling the same server directly.

Run: .venv/bin/python bench/bench_stream.py [--deltas 2000] [--runs 7] [--baseline d99d4e5]

Two cases, each against the simulator in its own process:
- fast: one answer of --deltas one-word deltas sent back to back. Compares wall time of the
  `openai` client consuming the stream directly, the plugin process (as Dify's daemon runs it)
  and the baseline build's plugin process, plus chunks written to Dify and plugin CPU.
- slow: 100 deltas 10 ms apart. Compares first-chunk time, p99 gap between chunks and the
  number of chunks of the plugin and the baseline build (coalescing must not change them).
Medians over --runs, all measured in the same run (these machines are noisy).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openai

from bench.baseline import DEFAULT_BASELINE_REF, baseline_tree
from bench.harness import ROOT, SimulatorProcess, cpu_seconds, median, percentile, simulator
from testkit.plugin_driver import PluginProcess, llm_request

MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"  # no reasoning: the answer streams as it comes
PROMPT = [{"role": "user", "content": "stream please"}]


def direct(sim: SimulatorProcess) -> dict[str, float]:
    client = openai.OpenAI(api_key=sim.api_key, base_url=sim.base_url, max_retries=0)
    started = time.perf_counter()
    chunks = sum(
        1
        for _ in client.chat.completions.create(model=MODEL, messages=PROMPT, stream=True)  # type: ignore[arg-type]
    )
    return {"seconds": time.perf_counter() - started, "chunks": chunks}


def through(plugin: PluginProcess, sim: SimulatorProcess) -> dict[str, float]:
    arrivals: list[float] = []
    cpu_before = cpu_seconds(plugin.process.pid)
    started = time.perf_counter()
    result = plugin.request(
        llm_request(MODEL, sim.credentials, PROMPT), on_output=lambda _: arrivals.append(time.perf_counter())
    )
    elapsed = time.perf_counter() - started
    assert result.ok, result.error
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    return {
        "seconds": elapsed,
        "chunks": len(result.outputs),
        "cpu": cpu_seconds(plugin.process.pid) - cpu_before,
        "first": arrivals[0] - started,
        "p99_gap": percentile(gaps, 0.99),
    }


def summarise(rows: list[dict[str, float]]) -> dict[str, float]:
    return {key: median([row[key] for row in rows]) for key in rows[0]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deltas", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline", default=DEFAULT_BASELINE_REF)
    options = parser.parse_args()
    builds = {"plugin": ROOT, f"baseline {options.baseline}": baseline_tree(options.baseline)}
    processes = {label: PluginProcess("local", plugin_dir=path) for label, path in builds.items()}
    try:
        with simulator("--stream-deltas", str(options.deltas)) as fast:
            for process in processes.values():
                through(process, fast)  # warm-up: imports, pooled connection
            direct(fast)
            results = {label: [] for label in ["openai direct", *processes]}
            for _ in range(options.runs):
                results["openai direct"].append(direct(fast))
                for label, process in processes.items():
                    results[label].append(through(process, fast))
        print(f"fast stream: {options.deltas} deltas back to back, median of {options.runs} runs")
        base = median([row["seconds"] for row in results["openai direct"]])
        print(f"{'route':22} {'wall ms':>9} {'vs direct':>10} {'chunks out':>11} {'plugin CPU ms/1k deltas':>24}")
        for label, rows in results.items():
            row = summarise(rows)
            cpu = f"{row['cpu'] * 1000 / (options.deltas / 1000):24.1f}" if "cpu" in row else f"{'-':>24}"
            print(f"{label:22} {row['seconds'] * 1000:9.1f} {row['seconds'] / base:9.2f}x {row['chunks']:11.0f} {cpu}")

        with simulator("--stream-deltas", "100", "--delta-gap-ms", "10") as slow:
            slow_results = {
                label: [through(process, slow) for _ in range(options.runs)] for label, process in processes.items()
            }
        print(f"\nslow stream: 100 deltas 10 ms apart, median of {options.runs} runs")
        print(f"{'route':22} {'first chunk ms':>15} {'p99 gap ms':>11} {'chunks out':>11}")
        for label, rows in slow_results.items():
            row = summarise(rows)
            print(f"{label:22} {row['first'] * 1000:15.1f} {row['p99_gap'] * 1000:11.1f} {row['chunks']:11.0f}")
    finally:
        for process in processes.values():
            process.stop()


if __name__ == "__main__":
    main()
