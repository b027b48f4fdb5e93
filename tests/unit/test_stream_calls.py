"""Tool calls in stream chunks: whole calls packed under the 512k-character chunk cap, the replay body,
and the usage estimate when the server sends none."""

from __future__ import annotations

import pytest

from models.llm.dialect import Piece, ToolFragment
from models.llm.stream import MAX_CHUNK_CHARS, stream_to_chunks
from provider.errors.tree import ReplyError
from tests.unit.fakes import usage_of


def sized_call(index: int, size: int) -> ToolFragment:
    """A call whose id + name + arguments are exactly `size` characters (id "c<n>", name "tool")."""
    call_id, name = f"c{index}", "tool"
    padding = size - len(call_id) - len(name) - len('{"p": ""}')
    return ToolFragment(index=index, id=call_id, name=name, arguments='{"p": "' + "x" * padding + '"}')


def call_chunks(*fragments: ToolFragment) -> list[list[str]]:
    """The ids of the calls in each chunk that carries calls."""
    pieces = [Piece(tool_fragments=list(fragments), finish_reason="tool_calls")]
    chunks = stream_to_chunks("m", [pieces], usage_of, lambda text: (1, 1))
    return [[call.id for call in c.delta.message.tool_calls] for c in chunks if c.delta.message.tool_calls]


def test_calls_that_fit_together_share_one_chunk_up_to_the_exact_cap():
    half = MAX_CHUNK_CHARS // 2
    assert call_chunks(sized_call(0, half), sized_call(1, MAX_CHUNK_CHARS - half)) == [["c0", "c1"]]


def test_a_call_that_would_pass_the_cap_starts_the_next_chunk():
    half = MAX_CHUNK_CHARS // 2
    assert call_chunks(sized_call(0, half), sized_call(1, MAX_CHUNK_CHARS - half + 1)) == [["c0"], ["c1"]]


def test_each_chunk_counts_only_its_own_calls():
    third = MAX_CHUNK_CHARS // 3
    calls = [sized_call(0, MAX_CHUNK_CHARS), sized_call(1, third), sized_call(2, MAX_CHUNK_CHARS - third)]
    assert call_chunks(*calls) == [["c0"], ["c1", "c2"]]
    three = [sized_call(n, third) for n in range(4)]
    assert call_chunks(*three) == [["c0", "c1", "c2"], ["c3"]]


def test_one_call_of_exactly_the_cap_is_sent_and_one_character_more_is_refused():
    assert call_chunks(sized_call(0, MAX_CHUNK_CHARS)) == [["c0"]]
    with pytest.raises(ReplyError) as raised:
        call_chunks(sized_call(0, MAX_CHUNK_CHARS + 1))
    assert str(raised.value) == (
        f"the model's call to tool 'tool' has {MAX_CHUNK_CHARS + 1:,} characters of arguments, "
        "more than Dify accepts in one message"
    )


def test_the_reasoning_for_replay_rides_on_the_call_chunks_only():
    pieces = [
        Piece(reasoning="plan"),
        Piece(content="Let me check."),
        Piece(tool_fragments=[ToolFragment(index=0, id="a", name="f", arguments="{}")], finish_reason="tool_calls"),
    ]
    chunks = list(stream_to_chunks("m", [pieces], usage_of, lambda text: (1, 1)))
    assert [(c.delta.message.opaque_body, bool(c.delta.message.tool_calls)) for c in chunks] == [
        (None, False),
        ({"reasoning_content": "plan"}, True),
        (None, False),
    ]


def test_a_call_without_reasoning_carries_no_replay_body():
    pieces = [Piece(tool_fragments=[ToolFragment(index=0, id="a", name="f", arguments="{}")])]
    chunks = list(stream_to_chunks("m", [pieces], usage_of, lambda text: (1, 1)))
    assert [c.delta.message.opaque_body for c in chunks] == [None, None]


def test_without_server_usage_the_estimate_reads_the_shown_text_and_every_calls_arguments():
    seen: list[str] = []

    def estimate(text: str) -> tuple[int, int]:
        seen.append(text)
        return 11, 22

    batches = [
        [Piece(reasoning="ab"), Piece(content="X")],
        [
            Piece(
                tool_fragments=[
                    ToolFragment(index=0, id="a", name="f", arguments='{"x": 1}'),
                    ToolFragment(index=1, id="b", name="g", arguments='{"y": 2}'),
                ],
                finish_reason="tool_calls",
            )
        ],
    ]
    chunks = list(stream_to_chunks("m", batches, usage_of, estimate))
    assert seen == ['<think>\nab\n</think>X{"x": 1}{"y": 2}']
    assert (chunks[-1].delta.usage.prompt_tokens, chunks[-1].delta.usage.completion_tokens) == (11, 22)


def test_every_chunk_is_for_the_one_choice():
    pieces = [Piece(content="hi"), Piece(tool_fragments=[ToolFragment(index=0, id="a", name="f")])]
    assert {c.delta.index for c in stream_to_chunks("m", [pieces], usage_of, lambda text: (1, 1))} == {0}
