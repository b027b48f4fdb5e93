"""Rerank quality, injection resistance and latency through the real plugin process, for this
build and a baseline build measured in the same run.

Run: .venv/bin/python bench/bench_rerank.py [--latency-ms 800] [--baseline 5fe4c28]

1. Ranking quality: the 30-query labelled set (testkit/rerank_set.py, 90 documents per
   query) with the simulator playing a deterministic oracle ranker from the labels. The
   plugin's NDCG@10 must equal the oracle's (1.0): ids, batching and merging lose nothing.
   A shuffled ranking is printed beside it to show the metric can tell.
2. Injection: how many corpus attacks win against a ranker that is fooled by look-alike tags
   (the simulator's gullible mode) or that quotes a document's forged scores before its own,
   possibly cut-off, answer. An attack wins when the unrelated victim document gets a score.
3. Latency of a 50-document rerank (3 batches of <= 20, run concurrently), median of 5, with
   the simulator answering each ranker call after --latency-ms (a typical small-model reply).
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.baseline import ROOT, baseline_tree
from testkit.plugin_driver import PluginProcess, action_request
from testkit.rerank_set import BREAKOUTS, FORGED_SCORES, INJECTION_QUERY, INJECTION_VICTIM, labelled_set
from testkit.simulator.ranker import RankerConfig
from testkit.simulator.server import Simulator

MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"
# The last commit before the injection-proof prompt and parser.
BASELINE_REF = "5fe4c28"


def ndcg(ranked: list[int], grades: list[int], k: int = 10) -> float:
    def dcg(values: list[int]) -> float:
        return sum((2**g - 1) / math.log2(position + 2) for position, g in enumerate(values[:k]))

    return dcg(ranked) / dcg(sorted(grades, reverse=True))


def rerank(plugin: PluginProcess, credentials: dict, query: str, docs: list[str], top_n: int | None) -> dict:
    request = action_request("invoke_rerank", "rerank", MODEL, credentials, query=query, docs=docs,
                             score_threshold=None, top_n=top_n)  # fmt: skip
    return plugin.request(request).single()


def quality(plugin: PluginProcess, sim: Simulator, credentials: dict) -> list[float]:
    scores = []
    for query, docs, grades in labelled_set():
        sim.state.ranker = RankerConfig(oracle={(query, d): g for d, g in zip(docs, grades, strict=True)})
        result = rerank(plugin, credentials, query, docs, top_n=10)
        scores.append(ndcg([grades[d["index"]] for d in result["docs"]], grades))
    return scores


def injections_won(plugin: PluginProcess, sim: Simulator, credentials: dict) -> tuple[int, int]:
    """(tag breakouts that won, quoted forgeries that won): an attack wins when the victim scores."""

    def won(text: str, config: RankerConfig) -> bool:
        sim.state.ranker = config
        result = rerank(plugin, credentials, INJECTION_QUERY, [text, INJECTION_VICTIM], top_n=None)
        return any(d["index"] == 1 and d["score"] > 0 for d in result["docs"])

    breakouts = sum(won(text, RankerConfig(gullible=True)) for text in BREAKOUTS.values())
    forgeries = sum(
        won(text, RankerConfig(replies=deque([shape])))
        for text in FORGED_SCORES.values()
        for shape in ("quoted", "quoted_truncated")
    )
    return breakouts, forgeries


def latency_ms(plugin: PluginProcess, sim: Simulator, credentials: dict, latency: float) -> float:
    sim.state.ranker = RankerConfig(latency_s=latency)
    docs = [f"document {n}: " + "retrieval text " * 40 for n in range(50)]
    times = []
    for _ in range(5):
        started = time.perf_counter()
        rerank(plugin, credentials, "retrieval", docs, top_n=None)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=float, default=800.0)
    parser.add_argument("--baseline", default=BASELINE_REF)
    options = parser.parse_args()
    sim = Simulator().start()
    credentials = {"api_key": sim.state.api_key, "endpoint_url": sim.base_url}
    builds = [(f"baseline {options.baseline}", baseline_tree(options.baseline)), ("this build", ROOT)]
    try:
        cases = labelled_set()
        shuffled = [ndcg(random.Random(q).sample(grades, len(grades)), grades) for q, _, grades in cases]
        print(f"queries: {len(cases)}, documents per query: {len(cases[0][1])}")
        print(f"NDCG@10 oracle ranker: 1.000; random order: {statistics.mean(shuffled):.3f}")
        for label, tree in builds:
            with PluginProcess("local", plugin_dir=tree) as plugin:
                scores = quality(plugin, sim, credentials)
                breakouts, forgeries = injections_won(plugin, sim, credentials)
                median = latency_ms(plugin, sim, credentials, options.latency_ms / 1000)
            print(
                f"{label}: NDCG@10 {statistics.mean(scores):.3f} (min {min(scores):.3f}); attacks won: tag "
                f"breakouts {breakouts}/{len(BREAKOUTS)}, quoted forged scores {forgeries}/{2 * len(FORGED_SCORES)}; "
                f"50-document rerank at {options.latency_ms:.0f} ms per ranker call: median {median:.0f} ms "
                f"(sequential batches would take >= {3 * options.latency_ms:.0f} ms)"
            )
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
