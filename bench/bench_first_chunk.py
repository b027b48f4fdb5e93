"""Time to first chunk per reasoning dialect, and the cost of a cached and an uncached reply.

Run: .venv/bin/python bench/bench_first_chunk.py [--plugin-dir DIR] [--runs 3] [--gap-ms 100]

The simulator (this tree's, in its own process) streams every delta --gap-ms apart: the role
chunk, then the reasoning in 7-character pieces, then the answer in 9-character pieces, in the
dialect of each case. The plugin at --plugin-dir (default: this tree; give a copy of an older tree
to measure "before") runs as Dify's daemon runs it. For each case: milliseconds from the request
to the first chunk with visible text, to the end, and the number of chunks, streaming and blocking.

Cases (issue 19): (a) a reasoning model whose upstream sends plain content, (b) reasoning in
`reasoning_content`, (c) in `reasoning`, (d) inline `<think>` tags, (e) template-opened, declared
(a user-added model with reasoning_format=template) and undeclared, (f) thinking off.

Then the cost of the same request twice with a long system prompt (the second is read from the
prompt cache), in both usage dialects: what Dify is told, and the same computed by hand.
"""

from __future__ import annotations

import argparse
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import ROOT, SimulatorProcess, median, simulator
from testkit.plugin_driver import PluginProcess, SessionResult, llm_request

PREDEFINED = "deepseek-ai/deepseek-v3.2"  # Thinking on by default; reasoning in a field on AtlasCloud
USER_ADDED = "sim/vision-thinker"  # a reasoning model the simulator serves, added by hand
PROMPT = [{"role": "user", "content": "Please say hello."}]

# name -> (simulator dialect, model, model parameters, extra credentials)
CASES: dict[str, tuple[str, str, dict, dict]] = {
    "a plain content, thinking on": ("plain", PREDEFINED, {"thinking": True}, {}),
    "b reasoning_content": ("reasoning_content", PREDEFINED, {"thinking": True}, {}),
    "c reasoning": ("reasoning", PREDEFINED, {"thinking": True}, {}),
    "d inline <think>": ("inline", PREDEFINED, {"thinking": True}, {}),
    "e template, declared": (
        "template",
        USER_ADDED,
        {"thinking": True},
        {"reasoning": "switchable", "reasoning_format": "template"},
    ),
    "e template, undeclared": ("template", PREDEFINED, {"thinking": True}, {}),
    "f thinking off": ("reasoning_content", PREDEFINED, {"thinking": False}, {}),
}


def measure(plugin: PluginProcess, sim: SimulatorProcess, model: str, params: dict, extra: dict, stream: bool) -> dict:
    arrivals: list[tuple[float, str]] = []
    started = time.perf_counter()
    result = plugin.request(
        llm_request(model, sim.credentials | extra, PROMPT, parameters=params, stream=stream),
        on_output=lambda out: arrivals.append((time.perf_counter(), out["delta"]["message"].get("content") or "")),
    )
    ended = time.perf_counter()
    assert result.ok, result.error
    first = next((at for at, text in arrivals if text), ended)
    return {"first": (first - started) * 1000, "total": (ended - started) * 1000, "chunks": len(arrivals)}


def first_chunks(plugin: PluginProcess, runs: int, gap_ms: float) -> None:
    print(f"time to first visible chunk: deltas {gap_ms:.0f} ms apart, median of {runs} runs")
    print(f"{'case':28} {'mode':9} {'first ms':>9} {'total ms':>9} {'chunks':>7}")
    for name, (dialect, model, params, extra) in CASES.items():
        with simulator("--dialect", dialect, "--delta-gap-ms", str(gap_ms)) as sim:
            measure(plugin, sim, model, params, extra, True)  # warm-up: connection, model list
            for stream in (True, False):
                rows = [measure(plugin, sim, model, params, extra, stream) for _ in range(runs)]
                first, total = median([r["first"] for r in rows]), median([r["total"] for r in rows])
                chunks = median([r["chunks"] for r in rows])
                mode = "stream" if stream else "blocking"
                print(f"{name:28} {mode:9} {first:9.0f} {total:9.0f} {chunks:7.0f}")


def _cost_line(label: str, result: SessionResult) -> str:
    usage = result.usage() or {}
    return (
        f"  {label:9} prompt {usage.get('prompt_tokens')} tokens at {usage.get('prompt_unit_price')} "
        f"= {usage.get('prompt_price')}; completion {usage.get('completion_tokens')} at "
        f"{usage.get('completion_unit_price')} = {usage.get('completion_price')}; total {usage.get('total_price')} USD"
    )


def costs(plugin: PluginProcess) -> None:
    # deepseek-v3.2 on AtlasCloud: 0.26 input, 0.13 cached input, 0.38 output, USD per 1M tokens.
    system = {"role": "system", "content": "You answer briefly. " * 400}
    messages = [system, {"role": "user", "content": "Please say hello."}]
    print("\ncost of one reply, deepseek-ai/deepseek-v3.2 (0.26 / cached 0.13 / output 0.38 USD per 1M tokens)")
    for usage_dialect in ("openai", "deepseek"):
        with simulator("--prompt-cache", "--usage-dialect", usage_dialect) as sim:
            print(f" usage dialect {usage_dialect}:")
            for label in ("uncached", "cached"):
                result = plugin.request(llm_request(PREDEFINED, sim.credentials, messages, stream=True))
                assert result.ok, result.error
                print(_cost_line(label, result))
    tokens = len(system["content"]) // 4 // 64 * 64
    print(f"  by hand: the cached reply's {tokens} cached tokens cost {Decimal(tokens) * Decimal('0.13') / 10**6} USD")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plugin-dir", type=Path, default=ROOT)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--gap-ms", type=float, default=100.0)
    options = parser.parse_args()
    print(f"plugin: {options.plugin_dir}")
    with PluginProcess("local", plugin_dir=options.plugin_dir) as plugin:
        first_chunks(plugin, options.runs, options.gap_ms)
        costs(plugin)


if __name__ == "__main__":
    main()
