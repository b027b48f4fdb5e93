"""The simulator's OpenAI-protocol `/v1/embeddings` (off by default, as on AtlasCloud today).

It shares no code with the plugin: its token count is its own rule (`server_tokens`), so a bug in
the plugin's tokenizer cannot move the simulator's answers with it.
"""

from __future__ import annotations

import array
import base64
import hashlib
import math
import random
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

# OpenAI's documented ceilings for /v1/embeddings (inputs per request, tokens per request).
MAX_INPUTS = 2048
MAX_REQUEST_TOKENS = 300_000

# A crude model of a Qwen2/Qwen3-style tokenizer (the likely server): it pre-splits text as
# Qwen's published pattern does and prices each piece by a rule of thumb instead of a vocabulary.
# - a digit is one token: Qwen (tokenization note: "number segmentation by single digits"),
#   Llama and Mistral split numbers into single digits;
# - a CJK ideograph, kana or hangul syllable is one token;
# - a run of other letters (with the space or symbol before it) is one token per started
#   10 letters: most English words are one token (Qwen's vocabulary grew from cl100k's),
#   long ones two or three;
# - a run of other symbols is one token per started 2 characters;
# - a single space before a word is free; any other run of whitespace is one token.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_PIECES = re.compile(
    rf"(?P<digit>\d)"
    rf"|(?P<cjk>[{_CJK}])"
    rf"|(?P<word>[^\w\s]?(?:(?![{_CJK}])[^\W\d_])+)"
    rf"|(?P<symbol>(?:[^\w\s]|_)+)"
    rf"|(?P<space>\s+)"
)


def server_tokens(text: str) -> int:
    """Tokens the simulated server counts for `text` (see the rule above)."""
    count = 0
    for match in _PIECES.finditer(text):
        kind, piece = match.lastgroup, match.group()
        if kind in ("digit", "cjk"):
            count += 1
        elif kind == "word":
            count += math.ceil(len(piece) / 10)
        elif kind == "symbol":
            count += math.ceil(len(piece) / 2)
        elif piece != " ":
            count += 1
    return count


@dataclass
class EmbeddingConfig:
    dims: int = 64
    max_input_tokens: int = 8192
    shuffle: bool = True  # answer rows out of order, as some servers do
    floats_only: bool = False  # ignore encoding_format=base64
    ignore_dimensions: bool = False  # answer `dims` whatever the request asks for
    refuse_dimensions: bool = False  # a model without Matryoshka output: `dimensions` is a 400
    longest_values: bool = False  # values whose JSON form is the longest a float32 can need
    latency_s: float = 0.0  # per request, counted as in flight
    broken: str = ""  # "", "nan", "short_dim", "missing_row"
    # Requests being answered now, and the most ever at once (concurrency tests).
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def vector_for(text: str, dims: int, longest: bool = False) -> list[float]:
    """A deterministic vector of float32 values per text, so tests can recompute what was sent:
    a unit vector, or (longest) values in (-1e-4, -1e-5] with nine significant digits, which
    JSON writes as "-0.0000dddddddd d": the longest form below 1e13."""
    rng = random.Random(hashlib.sha256(text.encode()).digest())
    if longest:
        values = [-rng.randrange(100_000_001, 1_000_000_000, 2) * 1e-13 for _ in range(dims)]
    else:
        values = [rng.gauss(0, 1) for _ in range(dims)]
        norm = math.sqrt(sum(v * v for v in values))
        values = [v / norm for v in values]
    return array.array("f", values).tolist()


def answer(body: dict[str, Any], config: EmbeddingConfig, send_usage: bool = True) -> tuple[int, dict[str, Any]]:
    """(status, payload) for one embeddings request, after `latency_s` in flight."""
    with config.lock:
        config.in_flight += 1
        config.max_in_flight = max(config.max_in_flight, config.in_flight)
    try:
        time.sleep(config.latency_s)
        return _answer(body, config, send_usage)
    finally:
        with config.lock:
            config.in_flight -= 1


def _answer(body: dict[str, Any], config: EmbeddingConfig, send_usage: bool) -> tuple[int, dict[str, Any]]:
    inputs = body.get("input")
    if isinstance(inputs, str):
        inputs = [inputs]
    if not isinstance(inputs, list) or not inputs or not all(isinstance(i, str) for i in inputs):
        return 400, {"msg": "input must be a string or a non-empty array of strings"}
    if len(inputs) > MAX_INPUTS:
        return 400, {"msg": f"too many inputs: {len(inputs)} > {MAX_INPUTS}"}
    if config.refuse_dimensions and "dimensions" in body:
        return 400, {"msg": "this model does not support the 'dimensions' parameter"}
    counts = [server_tokens(text) for text in inputs]
    if max(counts) > config.max_input_tokens:
        return 400, {"msg": f"input too long: {max(counts)} tokens > {config.max_input_tokens}"}
    if sum(counts) > MAX_REQUEST_TOKENS:
        return 400, {"msg": f"request too large: {sum(counts)} tokens > {MAX_REQUEST_TOKENS}"}
    dims = config.dims if config.ignore_dimensions else int(body.get("dimensions") or config.dims)
    use_base64 = body.get("encoding_format") == "base64" and not config.floats_only
    rows = []
    for index, text in enumerate(inputs):
        vector = vector_for(text, dims, config.longest_values)
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
