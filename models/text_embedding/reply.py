"""Keep an embedding reply inside the one stdout line the Dify daemon can read.

The SDK writes the whole TextEmbeddingResult as ONE JSON line, and dify-plugin-daemon reads at most
5 MiB per line (PLUGIN_RUNTIME_MAX_BUFFER_SIZE); on a longer line it kills the plugin process and
every session on it (internal/core/local_runtime/instance.go; serverless: serverless_runtime/io.go).
Dify core sends `max_chunks` texts per call (api/core/rag/embedding/cached_embedding.py), so:

1. Vectors are written compactly. The server sent float32 (base64) and embed.py widens it
   to float64, whose JSON repr is 17 digits (~21 bytes a value). Nine significant digits always
   round-trip a float32, so each value becomes the float64 nearest to its 9-digit decimal, and
   pydantic writes that decimal: ~13.7 bytes a value for a unit vector, never more than 16
   characters plus a comma below 1e13 in magnitude ("-0.0000123456789,").
2. `max_chunks` is derived from that worst case and the vector width, so Dify's batch always fits.
3. A last guard at invoke time (an upper bound, no second serialisation) turns a reply that would
   still be too long into a clear error instead of a killed process.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache

from provider.daemon import LINE_CAP_BYTES
from provider.errors.tree import ReplyTooLargeError

# Session envelope, model name and usage: a few hundred bytes in practice, reserved generously.
ENVELOPE_BYTES = 64 * 1024
# Share of the line Dify's planned batch may fill with worst-case vectors; the rest is headroom.
PLANNING_SHARE = 0.9
# Bytes one value takes in the reply at most, comma included: "-0.0000123456789," (16 + 1).
VALUE_BYTES = 17
# From 1e13 up pydantic writes plain digits ("-1234567890000000.0,"); no embedding looks like that,
# but the guard must stay an upper bound for any finite value.
WIDE_VALUE = 1e13
WIDE_VALUE_BYTES = 20
# Unknown width: the widest common embedding models are 4096 (Qwen3-Embedding-8B, NV-Embed-v2,
# e5-mistral); OpenAI's widest is 3072. Anything wider is caught by the guard with advice.
ASSUMED_DIMENSIONS = 4096


def texts_that_fit(dimensions: int, value_bytes: int = VALUE_BYTES) -> int:
    """Most vectors of `dimensions` values one reply carries within the planning share."""
    budget = LINE_CAP_BYTES * PLANNING_SHARE - ENVELOPE_BYTES
    return max(1, int(budget // vector_bytes(dimensions, value_bytes)))


def vector_bytes(dimensions: int, value_bytes: int = VALUE_BYTES) -> int:
    """One vector at most: its values and commas, two brackets, the comma after it."""
    return dimensions * value_bytes + 2


def bytes_per_value(vectors: Sequence[Sequence[float]]) -> int:
    """Bytes a value of these vectors takes at most in the reply."""
    largest = max(max(map(max, vectors)), -min(map(min, vectors)))
    return WIDE_VALUE_BYTES if largest >= WIDE_VALUE else VALUE_BYTES


def reply_bytes_bound(vectors: Sequence[Sequence[float]]) -> int:
    """An upper bound of the reply line's length, from the vectors' shape and range only."""
    if not vectors:
        return ENVELOPE_BYTES
    dimensions = max(len(vector) for vector in vectors)
    return ENVELOPE_BYTES + len(vectors) * vector_bytes(dimensions, bytes_per_value(vectors))


def check_reply_fits(vectors: Sequence[Sequence[float]]) -> None:
    """Refuse, with the max_chunks that would fit, a reply the daemon could not read."""
    bound = reply_bytes_bound(vectors)
    if bound < LINE_CAP_BYTES:
        return
    dimensions = max(len(vector) for vector in vectors)
    raise ReplyTooLargeError(
        f"{len(vectors)} texts x {dimensions} dimensions is up to {bound / 1e6:.1f} MB, over Dify's 5 MiB limit "
        f"for one reply; lower max_chunks to {texts_that_fit(dimensions, bytes_per_value(vectors))}"
    )


@lru_cache(maxsize=8)
def _template(size: int) -> str:
    return "[" + ",".join(["%.9g"] * size) + "]"


def compact(vector: Sequence[float]) -> list[float]:
    """Each value rounded to 9 significant digits: the same float32, a short JSON repr.

    One %-format and one json.loads per vector run in C (~260 ns a value on a slow core, about
    half of a per-value f-string); integers like "1" come back as floats.
    """
    if not vector:
        return []
    return json.loads(_template(len(vector)) % tuple(vector), parse_int=float)
