"""Embeddings as Dify runs them, this build against the one before compact vectors, in one run.

Run: .venv/bin/python bench/bench_embeddings.py [--chunks 10000] [--dims 1536] [--batch 128]
                                                [--latency-ms 50] [--sdk-chunks 1000]

Both builds run as real plugin processes (stdio, as Dify's daemon starts them; the driver kills a
plugin whose stdout line exceeds the daemon's 5 MiB buffer, as the daemon does) against the
simulator in its own process (fixed latency per request, float32 vectors).

1. Dify's own batch: one call of the schema's max_chunks texts, `dimensions` unset, a server
   answering 4096 dimensions (Qwen3-Embedding-8B's width). Does the reply line fit?
2. Throughput: --chunks texts of ~500 tokens at --dims, sent as Dify's CacheEmbedding sends them
   (sequential calls of --batch texts, a size both builds can carry): wall time, chunks/s, bytes
   per value on the wire, longest line.
3. The cost of compaction in-process: compact() over --chunks x --dims values, and pydantic's
   dump (what the SDK does) of raw and compacted vectors.
4. With --sdk-chunks N: batching against the SDK's OAICompatEmbeddingModel, in-process, N texts
   each, called in slices of each model's max_chunks (the SDK's customizable default is 1).
"""

from __future__ import annotations

import argparse
import array
import json
import random
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dify_plugin.entities.model import EmbeddingInputType, ModelPropertyKey  # noqa: E402
from dify_plugin.entities.model.text_embedding import EmbeddingUsage, TextEmbeddingResult  # noqa: E402
from dify_plugin.interfaces.model.openai_compatible.text_embedding import OAICompatEmbeddingModel  # noqa: E402

from bench.baseline import baseline_tree  # noqa: E402
from models.text_embedding.reply import compact  # noqa: E402
from models.text_embedding.text_embedding import AtlasCloudTextEmbeddingModel  # noqa: E402
from models.vision_utils.tokens.text import count_text  # noqa: E402
from testkit.plugin_driver import LineCapExceeded, PluginProcess, action_request  # noqa: E402

MODEL = "bench/embedding"
SERVED_DIMENSIONS = 4096
# The last commit before compact vectors and the max_chunks rule.
BASELINE_REF = "5fe4c28"
WORDS = ["retrieval", "augmented", "generation", "grounds", "answers", "in", "documents", "from", "the"]


def chunks(count: int) -> list[str]:
    # ~500 cl100k tokens each, all distinct.
    return [f"chunk {n}: " + " ".join(WORDS[(n + i) % len(WORDS)] for i in range(490)) for n in range(count)]


class Simulator:
    """The simulator in its own process, so its vector making does not share our GIL."""

    def __init__(self, latency_ms: float) -> None:
        command = ["-m", "testkit.simulator", "--embeddings", "--latency-ms", str(latency_ms)]
        self.process = subprocess.Popen(
            [sys.executable, *command, "--dims", str(SERVED_DIMENSIONS)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout
        self.base_url, self.key = self.process.stdout.readline().split()

    def requests(self) -> int:
        with urllib.request.urlopen(self.base_url.removesuffix("/v1") + "/_sim/requests") as response:
            return json.loads(response.read())["/v1/embeddings"]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


def invoke(plugin: PluginProcess, credentials: dict, texts: list[str]):
    request = action_request(
        "invoke_text_embedding", "text-embedding", MODEL, credentials, texts=texts, input_type="document"
    )
    return plugin.request(request, timeout=600)


def max_chunks(plugin: PluginProcess, credentials: dict) -> int:
    request = action_request("get_ai_model_schemas", "text-embedding", MODEL, credentials)
    return plugin.request(request).single()["model_schema"]["model_properties"]["max_chunks"]


def take_wire_bytes(plugin: PluginProcess) -> tuple[int, int]:
    """(total, longest) bytes of the session lines since the last call; forgets them (memory)."""
    sizes = [len(line.encode()) for line in plugin.wire_lines]
    plugin.wire_lines.clear()
    plugin.stdout_lines.clear()
    return sum(sizes), max(sizes, default=0)


def difys_own_batch(label: str, plugin_dir: Path, credentials: dict) -> str:
    with PluginProcess("local", plugin_dir=plugin_dir) as plugin:
        count = max_chunks(plugin, credentials)
        texts = chunks(count)
        try:
            result = invoke(plugin, credentials, texts)
        except LineCapExceeded:
            return f"{label:10} max_chunks {count:4d}: plugin KILLED ({plugin.killed_for})"
        _, longest = take_wire_bytes(plugin)
        state = "ok" if result.ok else f"{result.error_type}: {result.message[:80]}"
        return f"{label:10} max_chunks {count:4d}: reply line {longest:,} bytes, {state}"


def throughput(label: str, plugin_dir: Path, credentials: dict, texts: list[str], batch: int, sim: Simulator) -> dict:
    with PluginProcess("local", plugin_dir=plugin_dir) as plugin:
        before, total, longest, values = sim.requests(), 0, 0, 0
        started = time.perf_counter()
        for start in range(0, len(texts), batch):
            result = invoke(plugin, credentials, texts[start : start + batch]).single()
            values += sum(len(vector) for vector in result["embeddings"])
            wire, line = take_wire_bytes(plugin)
            total, longest = total + wire, max(longest, line)
        seconds = time.perf_counter() - started
    return {
        "label": label,
        "seconds": seconds,
        "requests": sim.requests() - before,
        "rate": len(texts) / seconds,
        "bytes_per_value": total / values,
        "longest": longest,
    }


def compaction_cost(count: int, dims: int) -> None:
    rng = random.Random(1)
    vectors = []
    for _ in range(min(count, 200)):
        raw = [rng.gauss(0, 1) for _ in range(dims)]
        norm = sum(v * v for v in raw) ** 0.5
        vectors.append(array.array("f", [v / norm for v in raw]).tolist())
    repeat = max(1, count // len(vectors))
    started = time.perf_counter()
    for _ in range(repeat):
        compacted = [compact(vector) for vector in vectors]
    seconds = (time.perf_counter() - started) * count / (repeat * len(vectors))
    values = count * dims
    usage = EmbeddingUsage(
        tokens=1, total_tokens=1, unit_price=Decimal(0), price_unit=Decimal(0), total_price=Decimal(0),
        currency="USD", latency=0.0,
    )  # fmt: skip
    dumps = {}
    for name, batch in (("raw float32->float64", vectors), ("compact", compacted)):
        started = time.perf_counter()
        size = len(TextEmbeddingResult(model=MODEL, embeddings=batch, usage=usage).model_dump_json())
        dumps[name] = (time.perf_counter() - started, size / (len(batch) * dims))
    per_value = {name: elapsed / (len(vectors) * dims) * 1e9 for name, (elapsed, _) in dumps.items()}
    print(
        f"compact(): {seconds / values * 1e9:.0f} ns a value, {seconds:.2f} s for {count:,} x {dims} values; "
        f"pydantic dump {per_value['raw float32->float64']:.0f} ns a value raw "
        f"({dumps['raw float32->float64'][1]:.2f} bytes) vs {per_value['compact']:.0f} ns compact "
        f"({dumps['compact'][1]:.2f} bytes)"
    )


class OfflineSDKEmbedding(OAICompatEmbeddingModel):
    """The SDK class as shipped, except that its gpt2 tokenizer download is replaced."""

    def _get_num_tokens_by_gpt2(self, text: str) -> int:
        return count_text(text)


def in_process(label: str, model, credentials: dict, texts: list[str], slice_size: int, sim: Simulator) -> dict:
    before = sim.requests()
    started = time.perf_counter()
    for start in range(0, len(texts), slice_size):
        result = model.invoke(MODEL, credentials, texts[start : start + slice_size], None, EmbeddingInputType.DOCUMENT)
        assert len(result.embeddings) == len(texts[start : start + slice_size])
    seconds = time.perf_counter() - started
    return {"label": label, "seconds": seconds, "requests": sim.requests() - before, "rate": len(texts) / seconds}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--dims", type=int, default=1536)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--sdk-chunks", type=int, default=0)
    options = parser.parse_args()
    sim = Simulator(options.latency_ms)
    builds = [("this build", ROOT), (f"{BASELINE_REF}", baseline_tree(BASELINE_REF))]
    try:
        base = {"api_key": sim.key, "endpoint_url": sim.base_url, "context_size": "8192", "max_chunks": "256"}
        print(f"1. Dify's own batch: dimensions unset, the server answers {SERVED_DIMENSIONS}")
        for label, tree in builds:
            print("   " + difys_own_batch(label, tree, base))

        texts = chunks(options.chunks)
        tokens = sum(count_text(t) for t in texts) / len(texts)
        print(
            f"2. {len(texts):,} chunks of {tokens:.0f} tokens at {options.dims} dimensions, calls of "
            f"{options.batch} texts, {options.latency_ms:.0f} ms per request"
        )
        credentials = {**base, "dimensions": str(options.dims)}
        rows = [throughput(label, tree, credentials, texts, options.batch, sim) for label, tree in builds]
        print(f"   {'build':12} {'wall s':>8} {'requests':>9} {'chunks/s':>9} {'bytes/value':>12} {'longest line':>13}")
        for row in rows:
            print(
                f"   {row['label']:12} {row['seconds']:8.2f} {row['requests']:9d} {row['rate']:9.1f} "
                f"{row['bytes_per_value']:12.2f} {row['longest']:13,}"
            )
        print(f"   wall time ratio {BASELINE_REF} / this build: {rows[1]['seconds'] / rows[0]['seconds']:.2f}x")

        print("3. ", end="")
        compaction_cost(options.chunks, options.dims)

        if options.sdk_chunks:
            texts = chunks(options.sdk_chunks)
            plugin = AtlasCloudTextEmbeddingModel(model_schemas=[])
            slice_size = plugin.get_customizable_model_schema(MODEL, base).model_properties[ModelPropertyKey.MAX_CHUNKS]
            results = [
                in_process("plugin (in-process)", plugin, base, texts, slice_size, sim),
                in_process("SDK OAICompatEmbeddingModel", OfflineSDKEmbedding(model_schemas=[]), base, texts, 1, sim),
            ]
            print(f"4. {len(texts):,} chunks at {SERVED_DIMENSIONS} dimensions; plugin calls of {slice_size}, SDK of 1")
            for row in results:
                print(
                    f"   {row['label']:30} {row['seconds']:8.2f} s {row['requests']:6d} requests "
                    f"{row['rate']:8.1f} chunks/s {row['seconds'] / results[0]['seconds']:6.1f}x"
                )
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
