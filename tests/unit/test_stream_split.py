"""Chunk boundaries: think tags are never cut, and content is held only for models expected to reason."""

from __future__ import annotations

from models.llm.answer import THINK_CLOSE, THINK_OPEN
from models.llm.dialect import Piece
from models.llm.stream import REASONING_LOOKAHEAD_CHARS, split_text, stream_to_chunks
from tests.unit.fakes import usage_of


def test_no_tag_is_cut_wherever_the_limit_falls_even_when_tags_follow_each_other():
    text = "ab" + THINK_OPEN + THINK_OPEN + "r" + THINK_CLOSE + THINK_CLOSE + "cd"
    for limit in range(1, len(text) + 2):
        parts = split_text(text, limit)
        assert "".join(parts) == text, limit
        assert sum(p.count(THINK_OPEN) for p in parts) == 2, limit
        assert sum(p.count(THINK_CLOSE) for p in parts) == 2, limit
        assert all(len(p) <= limit or p in (THINK_OPEN, THINK_CLOSE) for p in parts), limit


def test_a_tag_that_ends_exactly_at_the_limit_stays_in_its_chunk():
    assert split_text("ab" + THINK_CLOSE + "cd", 11) == ["ab" + THINK_CLOSE, "cd"]
    assert split_text("ab" + THINK_CLOSE, 11) == ["ab" + THINK_CLOSE]


def contents(batches: list[list[Piece]], lookahead: float | None = None) -> list[str]:
    extra = {} if lookahead is None else {"lookahead": lookahead}
    chunks = stream_to_chunks("m", batches, usage_of, lambda text: (1, 1), **extra)
    return [c.delta.message.content for c in chunks]


def test_a_model_not_expected_to_reason_streams_every_batch_as_it_comes_even_one_character():
    batches = [[Piece(content="H")], [Piece(content="i")], [Piece(finish_reason="stop")]]
    assert contents(batches) == ["H", "i", ""]
    assert contents(batches, lookahead=0) == ["H", "i", ""]


def test_a_model_expected_to_reason_holds_content_until_its_lone_closing_tag():
    batches = [[Piece(content="The user greets me.")], [Piece(content="</think>Hello")], [Piece(content="!")]]
    assert contents(batches, lookahead=REASONING_LOOKAHEAD_CHARS) == [
        "<think>\nThe user greets me.\n</think>Hello",
        "!",
        "",
    ]
