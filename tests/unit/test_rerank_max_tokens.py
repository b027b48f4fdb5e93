"""The ranker's answer budget grows with its batch, measured in real tokens (the bundled
cl100k tokenizer), not in words: a fixed budget would cut a long answer and the last documents
would fall back to the default score."""

from __future__ import annotations

import json

import pytest

from models.llm.dialect import Piece
from models.rerank import ranker as ranker_module
from models.rerank.prompt import RankItem, doc_id
from models.rerank.ranker import MAX_DOCS_PER_BATCH, Ranker, rank_with_llm
from models.rerank.settings import RerankSettings
from models.vision_utils.tokens.text import count_text
from provider.deadline import Deadline


def full_answer(count: int) -> str:
    """The structured answer a ranker gives for `count` documents, with two- and three-digit scores."""
    scores = [{"id": doc_id(position), "score": 100 if position % 3 == 0 else 42} for position in range(count)]
    return json.dumps({"scores": scores})


@pytest.mark.parametrize("count", [1, 5, 12, MAX_DOCS_PER_BATCH])
def test_max_tokens_leaves_room_for_the_whole_answer(monkeypatch, count):
    asked: list[dict] = []

    def fake_completion(client, request, deadline):
        asked.append(request)
        return [Piece(content=full_answer(len(request["messages"][-1]["content"].split("<document")) - 1))]

    monkeypatch.setattr(ranker_module, "fetch_completion", fake_completion)
    docs = [RankItem(text=f"document number {n}") for n in range(count)]
    ranker = Ranker(client=None, model="m", settings=RerankSettings(), deadline=Deadline.start(10))  # type: ignore[arg-type]
    rank_with_llm(ranker, RankItem(text="query"), docs)
    assert len(asked) == 1, "one batch, every document scored at once (no repair call)"
    needed = count_text(full_answer(count))
    assert asked[0]["max_tokens"] >= needed * 1.2, f"{count} scores need {needed} tokens, with a margin"


def test_a_full_batch_needs_more_than_a_fixed_small_budget():
    assert count_text(full_answer(MAX_DOCS_PER_BATCH)) > 200, "the measurement itself is not trivial"
