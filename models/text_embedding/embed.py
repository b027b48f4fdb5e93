"""Send planned batches to `/v1/embeddings`, concurrently and bounded, and check every vector."""

from __future__ import annotations

import base64
import binascii
import math
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from models.common.threads import fan_out
from models.text_embedding.batching import Piece
from provider.client import Client
from provider.deadline import Deadline, with_retries
from provider.errors.bodies import error_of_payload
from provider.errors.tree import DimensionMismatchError, EmbeddingReplyError

# Parallel requests per invoke; gevent turns these threads into cooperative greenlets.
MAX_CONCURRENT_REQUESTS = 4


@dataclass(frozen=True)
class BatchResult:
    vectors: list[list[float]]
    tokens: int


def embedding_request(model: str, texts: Sequence[str], dimensions: int | None) -> dict[str, Any]:
    # base64 float32 is several times smaller than JSON floats; servers that ignore it send floats.
    request: dict[str, Any] = {"model": model, "input": list(texts), "encoding_format": "base64"}
    if dimensions:
        request["dimensions"] = dimensions
    return request


def embed_batch(
    client: Client, model: str, batch: Sequence[Piece], dimensions: int | None, deadline: Deadline
) -> BatchResult:
    request = embedding_request(model, [piece.text for piece in batch], dimensions)
    reply = with_retries(deadline, lambda t: client.call("/embeddings", request, t))
    vectors = vectors_of_reply(reply, len(batch))
    usage = reply.get("usage")  # `reply` is a dict: vectors_of_reply refused anything else
    served = (usage.get("total_tokens") or usage.get("prompt_tokens")) if isinstance(usage, dict) else None
    tokens = served if isinstance(served, int) and served > 0 else sum(piece.tokens for piece in batch)
    return BatchResult(vectors, tokens)


def vectors_of_reply(reply: Any, expected: int) -> list[list[float]]:
    """The vectors of an OpenAI-style embeddings reply, in input order."""
    error = error_of_payload(reply)
    if error is not None:
        raise error
    rows = reply.get("data") if isinstance(reply, dict) else None
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise EmbeddingReplyError("its reply has no list of embeddings")
    if all(isinstance(row.get("index"), int) for row in rows):
        rows = sorted(rows, key=lambda row: row["index"])  # servers may answer out of order
        positions = [row["index"] for row in rows]
    else:
        positions = list(range(len(rows)))  # no indices: the server's order is all we have
    if positions != list(range(expected)):
        raise EmbeddingReplyError(f"it returned {len(rows)} vectors for {expected} inputs")
    return [vector_of(row.get("embedding")) for row in rows]


def vector_of(embedding: Any) -> list[float]:
    """A list of JSON numbers, or base64 little-endian float32 (what encoding_format=base64 asks for)."""
    if isinstance(embedding, str):
        try:
            raw = base64.b64decode(embedding)
        except (binascii.Error, ValueError):
            raise EmbeddingReplyError("it returned an embedding that is not base64") from None
        if len(raw) % 4:
            raise EmbeddingReplyError("it returned a base64 embedding that is not float32")
        return array("f", raw).tolist()
    if isinstance(embedding, list) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in embedding):
        return [float(value) for value in embedding]
    raise EmbeddingReplyError("it returned an embedding that is neither numbers nor base64")


def embed_all(
    client: Client,
    model: str,
    batches: Sequence[Sequence[Piece]],
    dimensions: int | None,
    deadline: Deadline,
) -> tuple[list[list[float]], int]:
    """Vectors in input order across all batches, and total tokens; any failed batch fails all."""
    results = fan_out(
        lambda batch: embed_batch(client, model, batch, dimensions, deadline), batches, MAX_CONCURRENT_REQUESTS
    )
    vectors = [vector for result in results for vector in result.vectors]
    check_vectors(vectors, dimensions)
    return vectors, sum(result.tokens for result in results)


def check_vectors(vectors: Sequence[Sequence[float]], dimensions: int | None) -> None:
    sizes = {len(vector) for vector in vectors}
    if len(sizes) != 1 or 0 in sizes:
        raise EmbeddingReplyError(f"it returned vectors of different sizes: {sorted(sizes)}")
    if dimensions and sizes != {dimensions}:
        got = sizes.pop()
        raise DimensionMismatchError(
            f"asked for {dimensions} dimensions, got {got}: set the model's dimensions to {got}, or leave it empty"
        )
    for vector in vectors:
        if not all(math.isfinite(value) for value in vector):
            raise EmbeddingReplyError("it returned a vector with NaN or infinite values")
