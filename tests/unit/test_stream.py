"""The stream translator on hand-made chunk sequences (no network, no plugin process)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from dify_plugin.entities.model.llm import LLMUsage

from models.llm.dialect import piece_of
from models.llm.stream import stream_to_chunks
from provider.errors import ReplyError, UpstreamError


def chunk(delta=None, finish=None, usage=None, choices=True, **extra):
    payload = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m", **extra}
    payload["choices"] = [{"index": 0, "delta": delta or {}, "finish_reason": finish}] if choices else []
    if usage:
        payload["usage"] = usage
    return payload


def usage_of(prompt: int, completion: int) -> LLMUsage:
    zero = Decimal(0)
    return LLMUsage(
        prompt_tokens=prompt,
        prompt_unit_price=zero,
        prompt_price_unit=zero,
        prompt_price=zero,
        completion_tokens=completion,
        completion_unit_price=zero,
        completion_price_unit=zero,
        completion_price=zero,
        total_tokens=prompt + completion,
        total_price=zero,
        currency="USD",
        latency=0.0,
    )


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
