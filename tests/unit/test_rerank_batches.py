"""plan_rank_batches: at most 20 documents and half the ranker's context (capped) per batch.

Costs are exact here: an image counts IMAGE_TOKEN_ESTIMATE (800), an empty text 12 tokens of
delimiters, and the prompt's fixed part PROMPT_OVERHEAD (400).
"""

from __future__ import annotations

from models.rerank.prompt import RankItem
from models.rerank.ranker import plan_rank_batches
from models.vision_utils.tokens.text import count_text

IMAGE = RankItem(image={"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}})
EMPTY = RankItem(text="")


def sizes(batches: list[list[int]]) -> list[int]:
    return [len(batch) for batch in batches]


def test_batches_fill_the_budget_exactly():
    # context 7200: half is 3600, minus 400 overhead and the 800-token image query leaves 2400.
    batches = plan_rank_batches(IMAGE, [IMAGE] * 7, 7200)
    assert batches == [[0, 1, 2], [3, 4, 5], [6]]
    assert sizes(plan_rank_batches(IMAGE, [IMAGE] * 7, 7198)) == [2, 2, 2, 1], "2399 left: three no longer fit"
    # An empty text query costs its 12 delimiter tokens: 5624 // 2 - 400 - 12 = 2400 again.
    assert sizes(plan_rank_batches(EMPTY, [IMAGE] * 7, 5624)) == [3, 3, 1]
    assert sizes(plan_rank_batches(EMPTY, [IMAGE] * 7, 5622)) == [2, 2, 2, 1]


def test_at_most_twenty_documents_per_batch():
    batches = plan_rank_batches(EMPTY, [EMPTY] * 45, 131072)
    assert sizes(batches) == [20, 20, 5]
    assert [i for batch in batches for i in batch] == list(range(45)), "every document once, in order"


def test_half_the_context_is_capped_for_huge_context_windows():
    doc = RankItem(text="hello " * 2000)
    assert count_text(doc.text) == 2001  # cost 2013 with its delimiters
    # min(1M, 65536) // 2 - 400 - 12 = 32356 tokens: 16 documents of 2013 fit, not 20.
    assert sizes(plan_rank_batches(EMPTY, [doc] * 20, 1_000_000)) == [16, 4]


def test_a_document_over_budget_still_gets_a_batch_of_its_own():
    big = RankItem(text="hello " * 3000)
    assert plan_rank_batches(IMAGE, [big, IMAGE, IMAGE, big], 7200) == [[0], [1, 2], [3]]


def test_no_documents_no_batches():
    assert plan_rank_batches(EMPTY, [], 131072) == []


def test_clip_grades_long_documents_on_their_first_1024_tokens_and_leaves_images_alone():
    from models.rerank.ranker import DOC_TOKEN_BUDGET, clip

    assert DOC_TOKEN_BUDGET == 1024
    long_text = "".join(f"w{n} " for n in range(3000))
    clipped = clip(RankItem(text=long_text)).text
    assert count_text(clipped) == 1024
    assert long_text.startswith(clipped), "the start is kept, nothing else changes"
    short = RankItem(text="a short passage")
    assert clip(short).text == "a short passage"
    assert clip(IMAGE) is IMAGE
