"""Rerank quality and latency through the real plugin process.

Run: .venv/bin/python bench/bench_rerank.py [--latency-ms 800]

1. Ranking quality: the 30-query labelled set (tests/data/rerank_set.py, 90 documents per
   query) with the simulator playing a deterministic oracle ranker from the labels. The
   plugin's NDCG@10 must equal the oracle's (1.0): ids, batching and merging lose nothing.
   A shuffled ranking is printed beside it to show the metric can tell.
2. Latency of a 50-document rerank (3 batches of <= 20, run concurrently), median of 5, with
   the simulator answering each ranker call after --latency-ms (a typical small-model reply).
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.data.rerank_set import labelled_set
from tests.plugin_driver import PluginProcess, action_request
from tests.simulator.server import Simulator

MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"


def ndcg(ranked: list[int], grades: list[int], k: int = 10) -> float:
    def dcg(values: list[int]) -> float:
        return sum((2**g - 1) / math.log2(position + 2) for position, g in enumerate(values[:k]))

    return dcg(ranked) / dcg(sorted(grades, reverse=True))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=float, default=800.0)
    options = parser.parse_args()
    sim = Simulator().start()
    credentials = {"api_key": sim.state.api_key, "endpoint_url": sim.base_url}
    try:
        with PluginProcess("local") as plugin:
            plugin_scores, shuffled_scores = [], []
            for query, docs, grades in labelled_set():
                sim.state.ranker.oracle = {(query, d): g for d, g in zip(docs, grades, strict=True)}
                request = action_request("invoke_rerank", "rerank", MODEL, credentials, query=query, docs=docs,
                                         score_threshold=None, top_n=10)  # fmt: skip
                result = plugin.request(request).single()
                plugin_scores.append(ndcg([grades[d["index"]] for d in result["docs"]], grades))
                shuffled_scores.append(ndcg(random.Random(query).sample(grades, len(grades)), grades))
            print(f"queries: {len(plugin_scores)}, documents per query: {len(labelled_set()[0][1])}")
            print("NDCG@10 oracle ranker:   1.000")
            print(f"NDCG@10 through plugin:  {statistics.mean(plugin_scores):.3f} (min {min(plugin_scores):.3f})")
            print(f"NDCG@10 random order:    {statistics.mean(shuffled_scores):.3f}")

            sim.state.ranker.oracle = {}
            sim.state.chat_latency_s = options.latency_ms / 1000
            docs = [f"document {n}: " + "retrieval text " * 40 for n in range(50)]
            times = []
            for _ in range(5):
                started = time.perf_counter()
                plugin.request(action_request("invoke_rerank", "rerank", MODEL, credentials, query="retrieval",
                                              docs=docs, score_threshold=None, top_n=None)).single()  # fmt: skip
                times.append(time.perf_counter() - started)
            print(
                f"50-document rerank, {options.latency_ms:.0f} ms per ranker call: median "
                f"{statistics.median(times) * 1000:.0f} ms (sequential batches would take "
                f">= {3 * options.latency_ms:.0f} ms)"
            )
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
