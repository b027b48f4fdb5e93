"""Chunk boundaries: think tags are never cut, and no content is held back to guess a reasoning dialect."""

from __future__ import annotations

from models.llm.answer import THINK_CLOSE, THINK_OPEN, ThinkOptions
from models.llm.dialect import Piece
from models.llm.stream import split_text, stream_to_chunks
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


def contents(batches: list[list[Piece]], think: ThinkOptions | None = None) -> list[str]:
    chunks = stream_to_chunks("m", batches, usage_of, lambda text: (1, 1), think)
    return [c.delta.message.content for c in chunks]


def test_a_model_not_expected_to_reason_streams_every_batch_as_it_comes_even_one_character():
    batches = [[Piece(content="H")], [Piece(content="i")], [Piece(finish_reason="stop")]]
    assert contents(batches) == ["H", "i", ""]
    assert contents(batches, ThinkOptions(opened=False)) == ["H", "i", ""]


# Issue 19 replaced the 32k-character lookahead (which held a reasoning model's plain answer to the
# end of short replies) with a declared fact: these two tests pin the new behaviour.
def test_a_declared_template_model_opens_the_block_at_the_first_content_and_streams():
    batches = [[Piece(content="The user greets me.")], [Piece(content="</think>Hello")], [Piece(content="!")]]
    assert contents(batches, ThinkOptions(opened=True)) == [
        "<think>\nThe user greets me.",
        "\n</think>Hello",
        "!",
        "",
    ]


def test_an_undeclared_lone_closing_tag_leaves_what_was_sent_and_ends_the_reasoning_there():
    seen = []
    batches = [[Piece(content="The user greets me.")], [Piece(content=" Hi back.</think>Hello")], [Piece(content="!")]]
    assert contents(batches, ThinkOptions(on_lone_close=lambda: seen.append(1))) == [
        "The user greets me.",  # streamed at once: nothing is held to guess
        "Hello",  # the rest of the reasoning is not shown as answer, and no stray tag
        "!",
        "",
    ]
    assert seen == [1]
