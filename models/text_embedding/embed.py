"""Send planned batches to `/v1/embeddings`, concurrently and bounded, and check every vector."""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from models.text_embedding.batching import Piece
from provider.errors import ReplyError
from provider.transport import Deadline, with_retries
from provider.user_errors import UserInputError

if TYPE_CHECKING:
    import openai

# Parallel requests per invoke; gevent turns these threads into cooperative greenlets.
MAX_CONCURRENT_REQUESTS = 4


class EmbeddingReplyError(ReplyError):
    """The server's reply cannot be trusted (wrong count, mixed dimensions, NaN)."""


class DimensionMismatchError(UserInputError):
    """The model answers with another width than the form's `dimensions` asks for."""


@dataclass(frozen=True)
class BatchResult:
    vectors: list[list[float]]
    tokens: int


def embed_batch(
    client: openai.OpenAI, model: str, batch: Sequence[Piece], dimensions: int | None, deadline: Deadline
) -> BatchResult:
    # encoding_format is left to the openai client: it asks for base64 (several times smaller
    # than JSON floats) and decodes it, or passes floats through if the server ignores it.
    extra = {"dimensions": dimensions} if dimensions else {}
    texts = [piece.text for piece in batch]
    response = with_retries(deadline, lambda t: client.embeddings.create(model=model, input=texts, timeout=t, **extra))
    rows = list(response.data or [])
    if all(row.index is not None for row in rows):
        rows.sort(key=lambda row: row.index)  # servers may answer out of order
        positions = [row.index for row in rows]
    else:
        positions = list(range(len(rows)))  # no indices at all: the server's order is all we have
    if positions != list(range(len(batch))):
        raise EmbeddingReplyError(f"it returned {len(rows)} vectors for {len(batch)} inputs")
    vectors = [list(row.embedding) for row in rows]
    usage = response.usage
    served = (usage.total_tokens or usage.prompt_tokens) if usage else 0
    return BatchResult(vectors, int(served or sum(piece.tokens for piece in batch)))


def embed_all(
    client: openai.OpenAI,
    model: str,
    batches: Sequence[Sequence[Piece]],
    dimensions: int | None,
    deadline: Deadline,
) -> tuple[list[list[float]], int]:
    """Vectors in input order across all batches, and total tokens; any failed batch fails all."""
    with ThreadPoolExecutor(max_workers=min(MAX_CONCURRENT_REQUESTS, max(len(batches), 1))) as pool:
        results = list(pool.map(lambda batch: embed_batch(client, model, batch, dimensions, deadline), batches))
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
