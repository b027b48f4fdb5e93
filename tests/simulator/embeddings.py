"""The simulator's OpenAI-protocol `/v1/embeddings` (off by default, as on AtlasCloud today)."""

from __future__ import annotations

import array
import base64
import hashlib
import math
import random
from dataclasses import dataclass
from typing import Any

from models.vision_utils.tokens import count_text

MAX_INPUTS = 2048
MAX_REQUEST_TOKENS = 300_000


@dataclass
class EmbeddingConfig:
    dims: int = 64
    max_input_tokens: int = 8192
    shuffle: bool = True  # answer rows out of order, as some servers do
    floats_only: bool = False  # ignore encoding_format=base64
    latency_s: float = 0.0
    broken: str = ""  # "", "nan", "short_dim", "missing_row"


def server_tokens(text: str) -> int:
    """The server's tokenizer is not the plugin's: count ~10 % more than cl100k."""
    return math.ceil(count_text(text) * 1.1)


def vector_for(text: str, dims: int) -> list[float]:
    """A deterministic unit vector per text, so tests can recompute what was sent."""
    rng = random.Random(hashlib.sha256(text.encode()).digest())
    values = [rng.gauss(0, 1) for _ in range(dims)]
    norm = math.sqrt(sum(v * v for v in values))
    return [v / norm for v in values]


def answer(body: dict[str, Any], config: EmbeddingConfig, send_usage: bool = True) -> tuple[int, dict[str, Any]]:
    """(status, payload) for one embeddings request."""
    inputs = body.get("input")
    if isinstance(inputs, str):
        inputs = [inputs]
    if not isinstance(inputs, list) or not inputs or not all(isinstance(i, str) for i in inputs):
        return 400, {"msg": "input must be a string or a non-empty array of strings"}
    if len(inputs) > MAX_INPUTS:
        return 400, {"msg": f"too many inputs: {len(inputs)} > {MAX_INPUTS}"}
    counts = [server_tokens(text) for text in inputs]
    if max(counts) > config.max_input_tokens:
        return 400, {"msg": f"input too long: {max(counts)} tokens > {config.max_input_tokens}"}
    if sum(counts) > MAX_REQUEST_TOKENS:
        return 400, {"msg": f"request too large: {sum(counts)} tokens > {MAX_REQUEST_TOKENS}"}
    dims = int(body.get("dimensions") or config.dims)
    use_base64 = body.get("encoding_format") == "base64" and not config.floats_only
    rows = []
    for index, text in enumerate(inputs):
        vector = vector_for(text, dims)
        if config.broken == "nan" and index == 0:
            vector[0] = float("nan")
        if config.broken == "short_dim" and index == len(inputs) - 1:
            vector = vector[:-1]
        encoded: Any = base64.b64encode(array.array("f", vector).tobytes()).decode() if use_base64 else vector
        rows.append({"object": "embedding", "index": index, "embedding": encoded})
    if config.broken == "missing_row":
        rows.pop()
    if config.shuffle:
        rows.reverse()
    reply = {"object": "list", "model": body.get("model"), "data": rows}
    if send_usage:
        reply["usage"] = {"prompt_tokens": sum(counts), "total_tokens": sum(counts)}
    return 200, reply
