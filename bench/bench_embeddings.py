"""Embedding throughput: this plugin's batching against the SDK's OAICompatEmbeddingModel.

Run: .venv/bin/python bench/bench_embeddings.py [--chunks 10000] [--latency-ms 50]

Both embed the same chunks of ~500 tokens against the local simulator (its own process,
fixed latency per request). The SDK class is given an offline tokenizer (its own needs the
network) and its customizable-model default of one text per request (max_chunks 1).
Prints wall time, requests made, throughput and the ratio, from the same run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dify_plugin.entities.model import EmbeddingInputType  # noqa: E402
from dify_plugin.interfaces.model.openai_compatible.text_embedding import OAICompatEmbeddingModel  # noqa: E402

from models.text_embedding.text_embedding import AtlasCloudTextEmbeddingModel  # noqa: E402
from models.vision_utils.tokens import count_text  # noqa: E402

MODEL = "bench/embedding"
WORDS = ["retrieval", "augmented", "generation", "grounds", "answers", "in", "documents", "from", "the"]


class OfflineSDKEmbedding(OAICompatEmbeddingModel):
    """The SDK class as shipped, except that its gpt2 tokenizer download is replaced."""

    def _get_num_tokens_by_gpt2(self, text: str) -> int:
        return count_text(text)


def chunks(count: int) -> list[str]:
    # ~500 cl100k tokens each, all distinct.
    return [f"chunk {n}: " + " ".join(WORDS[(n + i) % len(WORDS)] for i in range(490)) for n in range(count)]


def run(label: str, model, credentials: dict, texts: list[str], counter) -> dict:
    before = counter()
    started = time.perf_counter()
    result = model.invoke(MODEL, credentials, texts, None, EmbeddingInputType.DOCUMENT)
    elapsed = time.perf_counter() - started
    assert len(result.embeddings) == len(texts)
    return {"label": label, "seconds": elapsed, "requests": counter() - before, "rate": len(texts) / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    options = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.simulator", "--embeddings", "--latency-ms", str(options.latency_ms)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base_url, key = server.stdout.readline().split()
        credentials = {"api_key": key, "endpoint_url": base_url, "context_size": "8192", "max_chunks": "256"}
        texts = chunks(options.chunks)
        tokens = sum(count_text(t) for t in texts)
        print(
            f"{len(texts)} chunks, {tokens / len(texts):.0f} tokens each on average; "
            f"simulator latency {options.latency_ms:.0f} ms per request"
        )
        counter = RequestCounter(base_url)
        results = [
            run(
                "plugin (token+count batches, 4 parallel)",
                AtlasCloudTextEmbeddingModel(model_schemas=[]),
                credentials,
                texts,
                counter,
            ),
            run("SDK OAICompatEmbeddingModel", OfflineSDKEmbedding(model_schemas=[]), credentials, texts, counter),
        ]
    finally:
        server.terminate()
        server.wait()
    plugin_seconds = results[0]["seconds"]
    print(f"{'implementation':44} {'wall s':>9} {'requests':>9} {'chunks/s':>10} {'vs plugin':>10}")
    for row in results:
        print(
            f"{row['label']:44} {row['seconds']:9.2f} {row['requests']:9d} {row['rate']:10.1f} "
            f"{row['seconds'] / plugin_seconds:9.1f}x"
        )


class RequestCounter:
    """Counts embeddings requests the simulator answered (via its request log endpoint)."""

    def __init__(self, base_url: str) -> None:
        self.url = base_url.removesuffix("/v1") + "/_sim/requests"

    def __call__(self) -> int:
        with urllib.request.urlopen(self.url) as response:
            return json.loads(response.read())["/v1/embeddings"]


if __name__ == "__main__":
    main()
