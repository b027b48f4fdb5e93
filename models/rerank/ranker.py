"""Rerank with an AtlasCloud chat model: truncate, batch, grade concurrently, repair, merge.

Every document gets an absolute score in [0, 1] from the rubric in prompt.py, so batches
merge on one scale and a lone relevant document is not pushed to 0 by rescaling.
A document the ranker leaves unscored is asked about once more, alone with the other
unscored ones; if it is still unscored it gets FALLBACK_SCORE and sorts last, never dropped.
A batch with no usable score at all after that repair is an InvokeServerUnavailableError.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from models.common.batching import greedy_batches
from models.common.threads import fan_out
from models.llm.upstream import fetch_completion
from models.rerank.parse import parse_scores
from models.rerank.prompt import SCORES_SCHEMA, RankItem, doc_id, new_code, ranker_messages, truncate
from models.rerank.settings import RerankSettings
from models.vision_utils.tokens.text import count_text, encoding
from provider.client import Client
from provider.deadline import Deadline
from provider.errors.tree import ReplyError

FALLBACK_SCORE = 0.0
DOC_TOKEN_BUDGET = 1024  # longer documents are graded on their first 1024 tokens
MAX_DOCS_PER_BATCH = 20  # small batches grade more consistently
MAX_CONCURRENT_BATCHES = 4
IMAGE_TOKEN_ESTIMATE = 800  # a low-detail image, for batch budgeting
PROMPT_OVERHEAD = 400


@dataclass
class RankOutcome:
    scores: list[float]
    prompt_tokens: int = 0
    completion_tokens: int = 0


def _cost(item: RankItem) -> int:
    return IMAGE_TOKEN_ESTIMATE if item.image is not None else count_text(item.text) + 12


def plan_rank_batches(query: RankItem, docs: Sequence[RankItem], context_size: int) -> list[list[int]]:
    """Document indices per batch, so each prompt fits half of the ranker's context."""
    budget = min(context_size, 65536) // 2 - PROMPT_OVERHEAD - _cost(query)
    costs = [_cost(doc) for doc in docs]
    return greedy_batches(range(len(docs)), MAX_DOCS_PER_BATCH, budget, costs.__getitem__)


def clip(item: RankItem) -> RankItem:
    if item.image is not None:
        return item
    enc = encoding()
    return RankItem(text=truncate(item.text, DOC_TOKEN_BUDGET, enc.encode_ordinary, enc.decode))


@dataclass(frozen=True)
class Ranker:
    """Who grades, how, and by when: the same for every batch of one rerank call."""

    client: Client
    model: str
    settings: RerankSettings
    deadline: Deadline


def _grade(ranker: Ranker, query: RankItem, docs: Sequence[RankItem]) -> tuple[dict[int, float], int, int]:
    settings = ranker.settings
    request: dict[str, Any] = {
        "model": ranker.model,
        "messages": ranker_messages(query, docs, new_code()),
        "temperature": 0,
        "max_tokens": 40 * len(docs) + 200,
        "stream": False,
    }
    if settings.structured_output:
        request["response_format"] = {"type": "json_schema", "json_schema": SCORES_SCHEMA}
    if settings.disable_thinking:
        request["thinking"] = {"type": "disabled"}
    # The same lenient reader as chat, so a ranker on any backend's dialect is understood.
    pieces = fetch_completion(ranker.client, request, ranker.deadline)
    reply = "".join(piece.content or piece.refusal for piece in pieces)
    found = parse_scores(reply, {doc_id(p) for p in range(len(docs))})
    prompt_tokens, completion_tokens = next((p.usage for p in reversed(pieces) if p.usage), (0, 0))
    by_position = {int(key[1:]) - 1: score for key, score in found.items()}
    return by_position, prompt_tokens, completion_tokens


def _grade_batch(ranker: Ranker, query: RankItem, docs: Sequence[RankItem]) -> RankOutcome:
    scored, prompt_tokens, completion_tokens = _grade(ranker, query, docs)
    missing = [p for p in range(len(docs)) if p not in scored]
    if missing:  # one repair attempt, with only the unscored documents
        repaired, more_prompt, more_completion = _grade(ranker, query, [docs[p] for p in missing])
        scored.update({missing[p]: score for p, score in repaired.items()})
        prompt_tokens += more_prompt
        completion_tokens += more_completion
    if not scored:
        raise ReplyError(
            f"The ranker model '{ranker.model}' gave no usable relevance scores, even after a retry; "
            "try another ranker model."
        )
    scores = [scored.get(p, FALLBACK_SCORE) for p in range(len(docs))]
    return RankOutcome(scores, prompt_tokens, completion_tokens)


def rank_with_llm(ranker: Ranker, query: RankItem, docs: Sequence[RankItem]) -> RankOutcome:
    query = clip(query)
    docs = [clip(doc) for doc in docs]
    batches = plan_rank_batches(query, docs, ranker.settings.context_size)

    def run(indices: list[int]) -> RankOutcome:
        return _grade_batch(ranker, query, [docs[i] for i in indices])

    outcomes = fan_out(run, batches, MAX_CONCURRENT_BATCHES)
    merged = RankOutcome([FALLBACK_SCORE] * len(docs))
    for indices, outcome in zip(batches, outcomes, strict=True):
        for index, score in zip(indices, outcome.scores, strict=True):
            merged.scores[index] = score
        merged.prompt_tokens += outcome.prompt_tokens
        merged.completion_tokens += outcome.completion_tokens
    return merged
