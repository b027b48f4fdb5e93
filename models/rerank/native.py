"""The OpenAI/Jina/Cohere-style `POST /rerank` protocol, for endpoints that serve one."""

from __future__ import annotations

import math
from collections.abc import Sequence

from models.rerank.settings import RerankSettings
from provider.client import Client
from provider.deadline import Deadline, with_retries
from provider.errors.tree import NativeRerankError


def rank_native(
    client: Client,
    model: str,
    settings: RerankSettings,
    query: str,
    docs: Sequence[str],
    top_n: int | None,
    deadline: Deadline,
) -> list[float | None]:
    """A score per document (None where the endpoint returned none, e.g. cut by top_n)."""
    body: dict = {"model": model, "query": query, "documents": list(docs), "return_documents": False}
    if top_n:
        body["top_n"] = top_n
    reply = with_retries(deadline, lambda t: client.call("/rerank", body, t))
    results = reply.get("results") if isinstance(reply, dict) else None
    if not isinstance(results, list):
        raise NativeRerankError("the /rerank reply has no 'results' list")
    scores: list[float | None] = [None] * len(docs)
    for row in results:
        index = row.get("index") if isinstance(row, dict) else None
        score = row.get("relevance_score") if isinstance(row, dict) else None
        if not isinstance(index, int) or not 0 <= index < len(docs) or not isinstance(score, int | float):
            raise NativeRerankError(f"the /rerank reply has an invalid result: {row!r}")
        if settings.native_scores == "logits":
            score = 1 / (1 + math.exp(-score))
        scores[index] = float(score)
    return scores
