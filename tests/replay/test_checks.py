"""The checks catch what they claim to: each invariant fails on a session built to break it."""

from __future__ import annotations

from typing import Any

from testkit.plugin_driver import SessionResult
from tests.replay.checks import check_failure, check_success
from tests.replay.spec import SERVER_FAULT, Case, Expect

CALL = {"id": "call_1", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}


def chunk(content: Any = "", usage: bool = False, finish: str | None = None, calls: list[Any] | None = None) -> dict:
    delta: dict[str, Any] = {
        "index": 0,
        "message": {"role": "assistant", "content": content, "tool_calls": calls or []},
    }
    if usage:
        delta.update(usage={"prompt_tokens": 1, "completion_tokens": 1}, finish_reason=finish)
    return {"model": "m", "delta": delta}


def case(expect: Expect) -> Case:
    return Case(name="synthetic", source="test", expect=expect, sse=b"data: [DONE]\n\n")


def problems(outputs: list[dict], expect: Expect) -> list[str]:
    return check_success(case(expect), "stream", SessionResult(outputs=outputs))


def test_a_clean_session_passes() -> None:
    outputs = [chunk("<think>\nhm\n</think>"), chunk("Hi"), chunk(usage=True, finish="stop")]
    assert problems(outputs, Expect(reasoning="hm", answer="Hi")) == []


def test_usage_twice_or_not_last_is_caught() -> None:
    assert problems([chunk("Hi", usage=True, finish="stop"), chunk(usage=True, finish="stop")], Expect(answer="Hi"))
    assert problems([chunk(usage=True, finish="stop"), chunk("Hi")], Expect(answer="Hi"))


def test_null_content_empty_and_repeated_think_blocks_are_caught() -> None:
    assert problems([chunk(None), chunk("Hi", usage=True, finish="stop")], Expect(answer="Hi"))
    assert problems([chunk("<think>\n\n</think>Hi"), chunk(usage=True, finish="stop")], Expect(answer="Hi"))
    two = "<think>\na\n</think><think>\na\n</think>Hi"
    assert problems([chunk(two), chunk(usage=True, finish="stop")], Expect(reasoning="a", answer="Hi"))


def test_tool_calls_emitted_twice_or_with_bad_arguments_are_caught() -> None:
    expect = Expect(tool_calls=(("get_time", {}),), finish_reason="tool_calls")
    assert problems([chunk(calls=[CALL]), chunk(usage=True, finish="tool_calls")], expect) == []
    assert problems([chunk(calls=[CALL, CALL]), chunk(usage=True, finish="tool_calls")], expect)
    broken = {**CALL, "function": {"name": "get_time", "arguments": "{}{}"}}
    assert problems([chunk(calls=[broken]), chunk(usage=True, finish="tool_calls")], expect)


def test_failures_must_be_readable_and_never_invent_a_status() -> None:
    expect = Expect(error=(SERVER_FAULT, ""))
    readable = SessionResult(error={"error_type": SERVER_FAULT, "message": "The server broke off the answer."})
    assert check_failure(case(expect), "stream", readable) == []
    leaky = SessionResult(error={"error_type": SERVER_FAULT, "message": "Unexpected failure (KeyError): 'x'"})
    assert check_failure(case(expect), "stream", leaky)
    invented = SessionResult(error={"error_type": SERVER_FAULT, "message": "AtlasCloud answered 500: boom"})
    assert check_failure(case(expect), "stream", invented)
    blamed = SessionResult(error={"error_type": "InvokeBadRequestError", "message": "bad"})
    assert check_failure(case(expect), "stream", blamed)
