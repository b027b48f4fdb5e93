"""The stream translator on hand-made chunk sequences (no network, no plugin process)."""

from __future__ import annotations

import pytest

from models.llm.dialect import piece_of
from models.llm.stream import stream_to_chunks
from provider.errors.tree import ReplyError, UpstreamError
from tests.unit.fakes import usage_of


def chunk(delta=None, finish=None, usage=None, choices=True, **extra):
    payload = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m", **extra}
    payload["choices"] = [{"index": 0, "delta": delta or {}, "finish_reason": finish}] if choices else []
    if usage:
        payload["usage"] = usage
    return payload


def run(events, estimate=lambda text: (7, len(text))):
    return list(stream_to_chunks("m", ([piece_of(e)] for e in events), usage_of, estimate))


def text(chunks):
    return "".join(c.delta.message.content or "" for c in chunks)


def test_reasoning_then_content_makes_one_think_block():
    out = run(
        [
            chunk({"reasoning_content": "a"}),
            chunk({"reasoning_content": "b"}),
            chunk({"content": "X"}),
            chunk(finish="stop"),
        ]
    )
    assert text(out) == "<think>\nab\n</think>X"


def test_reasoning_field_alias_and_empty_reasoning_is_ignored():
    out = run(
        [chunk({"reasoning_content": ""}), chunk({"reasoning": "r"}), chunk({"content": "X"}), chunk(finish="stop")]
    )
    assert text(out) == "<think>\nr\n</think>X"
    out = run([chunk({"reasoning_content": ""}), chunk({"content": "X"}), chunk(finish="stop")])
    assert text(out) == "X"


def test_reasoning_only_stream_is_closed_at_the_end():
    out = run([chunk({"reasoning_content": "thinking"}), chunk(finish="length")])
    assert text(out) == "<think>\nthinking\n</think>"
    assert out[-1].delta.finish_reason == "length"


def test_interleaved_parallel_tool_calls_are_merged_by_index():
    events = [
        chunk(
            {"tool_calls": [{"index": 1, "id": "b", "type": "function", "function": {"name": "two", "arguments": ""}}]}
        ),
        chunk(
            {
                "tool_calls": [
                    {"index": 0, "id": "a", "type": "function", "function": {"name": "one", "arguments": '{"x"'}}
                ]
            }
        ),
        chunk({"tool_calls": [{"index": 1, "function": {"arguments": '{"y": 2}'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": ": 1}"}}]}),
        chunk(finish="tool_calls"),
    ]
    calls = [c for o in run(events) for c in o.delta.message.tool_calls]
    assert [(c.id, c.function.name, c.function.arguments) for c in calls] == [
        ("a", "one", '{"x": 1}'),
        ("b", "two", '{"y": 2}'),
    ]


def test_server_usage_wins_and_estimate_is_the_fallback():
    with_usage = run(
        [
            chunk({"content": "hi"}),
            chunk(finish="stop"),
            chunk(choices=False, usage={"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}),
        ]
    )
    assert (with_usage[-1].delta.usage.prompt_tokens, with_usage[-1].delta.usage.completion_tokens) == (3, 4)
    estimated = run([chunk({"content": "hello"}), chunk(finish="stop")])
    assert (estimated[-1].delta.usage.prompt_tokens, estimated[-1].delta.usage.completion_tokens) == (7, 5)


def test_stream_without_finish_reason_after_an_answer_is_complete():
    out = run([chunk({"content": "whole answer"})])
    assert text(out) == "whole answer" and out[-1].delta.finish_reason == "stop"


def test_stream_without_any_answer_is_the_servers_failure():
    with pytest.raises(ReplyError):
        run([chunk({"role": "assistant"})])


def test_error_envelope_chunk_raises_upstream_error():
    bad = {"code": 429, "msg": "slow down", "request_id": "r1"}
    with pytest.raises(UpstreamError) as raised:
        run([bad])
    assert raised.value.status == 429 and raised.value.request_id == "r1"


# --- chunk invariants Dify's consumers rely on ----------------------------------------------
def test_long_text_is_split_below_the_line_cap_without_cutting_think_tags():
    from models.llm.answer import THINK_CLOSE, THINK_OPEN
    from models.llm.stream import MAX_CHUNK_CHARS, split_text

    assert split_text("") == []
    assert split_text("abc", 2) == ["ab", "c"]
    text = "x" * 10 + THINK_CLOSE + "y" * 10
    for limit in range(3, 25):
        parts = split_text(text, limit)
        assert "".join(parts) == text
        assert all(len(p) <= limit or p.startswith(THINK_CLOSE) for p in parts)
        assert sum(p.count(THINK_CLOSE) for p in parts) == 1, limit
    opened = THINK_OPEN + "r" * 5
    assert all(THINK_OPEN in p or "<" not in p for p in split_text(opened, 4))
    huge = split_text("z" * (MAX_CHUNK_CHARS * 2 + 1))
    assert [len(p) for p in huge] == [MAX_CHUNK_CHARS, MAX_CHUNK_CHARS, 1]


def test_an_eight_megabyte_delta_becomes_several_chunks_and_usage_stays_last_and_single():
    from models.llm.stream import MAX_CHUNK_CHARS

    out = run(
        [chunk({"reasoning_content": "r" * 10}), chunk({"content": "a" * (8 * 1024 * 1024)}), chunk(finish="stop")]
    )
    sizes = [len(c.delta.message.content) for c in out]
    assert max(sizes) <= MAX_CHUNK_CHARS and len(out) > 16
    assert [c.delta.usage is not None for c in out].count(True) == 1 and out[-1].delta.usage is not None
    assert all(isinstance(c.delta.message.content, str) for c in out)
    assert text(out).count("<think>") == 1 and text(out).count("</think>") == 1


def test_batches_are_merged_into_one_chunk_each():
    pieces = [piece_of(chunk({"content": word})) for word in ("a", "b", "c")]
    out = list(stream_to_chunks("m", [pieces, [piece_of(chunk(finish="stop"))]], usage_of, lambda t: (1, 1)))
    assert [c.delta.message.content for c in out] == ["abc", ""]
    assert out[-1].delta.finish_reason == "stop"


def test_tool_calls_come_whole_once_after_the_text_with_reasoning_for_replay():
    events = [
        chunk({"reasoning_content": "plan"}),
        chunk({"tool_calls": [{"index": 0, "id": "a", "function": {"name": "f", "arguments": '{"x":'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": " 1}"}}]}),
        chunk(finish="tool_calls"),
    ]
    out = run(events)
    with_calls = [c for c in out if c.delta.message.tool_calls]
    assert len(with_calls) == 1
    call = with_calls[0].delta.message.tool_calls[0]
    assert (call.id, call.function.name, call.function.arguments) == ("a", "f", '{"x": 1}')
    assert with_calls[0].delta.message.opaque_body == {"reasoning_content": "plan"}
    assert out.index(with_calls[0]) == len(out) - 2
    assert text(out) == "<think>\nplan\n</think>"


def test_blocking_result_and_its_large_form():
    from models.llm.stream import MAX_CHUNK_CHARS, completion_to_result

    message = {"choices": [{"message": {"content": "hi", "reasoning_content": "why"}, "finish_reason": "stop"}]}
    result = completion_to_result("m", [piece_of(message)], usage_of, lambda t: (2, 3))
    assert result.message.content == "<think>\nwhy\n</think>hi"
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (2, 3)
    big = {"choices": [{"message": {"content": "b" * (MAX_CHUNK_CHARS + 5)}, "finish_reason": "stop"}]}
    chunks = list(completion_to_result("m", [piece_of(big)], usage_of, lambda t: (2, 3)))
    assert [len(c.delta.message.content) for c in chunks] == [MAX_CHUNK_CHARS, 5, 0]
    assert chunks[-1].delta.usage is not None and chunks[-1].delta.finish_reason == "stop"


def test_a_giant_tool_call_is_refused_rather_than_written_as_one_huge_line():
    from models.llm.stream import MAX_CHUNK_CHARS

    arguments = '{"blob": "' + "q" * MAX_CHUNK_CHARS + '"}'
    with pytest.raises(ReplyError, match="more than Dify accepts"):
        run([chunk({"tool_calls": [{"index": 0, "id": "a", "function": {"name": "f", "arguments": arguments}}]})])
