"""One JSON object from any dialect -> one normalised piece."""

from __future__ import annotations

import pytest

from models.llm.dialect import Piece, ToolFragment, piece_of, reasoning_of, text_of
from provider.errors.tree import UpstreamError


def chunk(delta: dict, finish=None, **extra) -> dict:
    return {
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("plain", "plain"),
        ([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}], "ab"),
        ([{"type": "image_url", "image_url": {"url": "x"}}, "c"], "c"),
        ({"type": "output_text", "text": "d"}, "d"),
        (42, "42"),
        (1.5, "1.5"),
        (True, ""),
        (None, ""),
    ],
)
def test_text_of_reads_every_content_shape(value, text):
    assert text_of(value) == text


def test_reasoning_under_either_name_and_never_twice():
    assert reasoning_of({"reasoning_content": "r"}) == "r"
    assert reasoning_of({"reasoning": "r"}) == "r"
    assert reasoning_of({"reasoning_content": "r", "reasoning": "r"}) == "r"
    assert reasoning_of({"reasoning_content": "deepseek", "reasoning": "alias"}) == "deepseek"
    assert reasoning_of({"reasoning_content": "", "reasoning": "second"}) == "second"
    details = [{"type": "reasoning.text", "text": "x"}, {"type": "reasoning.encrypted", "data": "zz"}]
    assert reasoning_of({"reasoning_details": details}) == "x"
    assert reasoning_of({"reasoning": "r", "reasoning_details": details}) == "r"


def test_stream_chunk_fields():
    piece = piece_of(chunk({"content": "hi", "reasoning_content": "hm", "refusal": None}, "stop"))
    assert piece == Piece(content="hi", reasoning="hm", finish_reason="stop")


def test_blocking_message_and_delta_are_read_alike():
    completion = {"choices": [{"index": 0, "message": {"content": [{"type": "text", "text": "x"}]}}]}
    assert piece_of(completion).content == "x"
    mixed = {"choices": [{"delta": None, "message": {"content": "m"}}]}
    assert piece_of(mixed).content == "m"


def test_first_choice_wins_with_or_without_index():
    assert (
        piece_of(
            {"choices": [{"index": 1, "delta": {"content": "b"}}, {"index": 0, "delta": {"content": "a"}}]}
        ).content
        == "a"
    )
    assert piece_of({"choices": [{"delta": {"content": "only"}}]}).content == "only"
    assert piece_of({"choices": [{"index": "0", "delta": {"content": "s"}}]}).content == "s"


def test_usage_in_any_place_and_either_naming():
    assert piece_of({"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4}}).usage == (3, 4)
    assert piece_of({"usage": {"input_tokens": "5", "output_tokens": 6}}).usage == (5, 6)
    assert piece_of({"choices": [{"delta": {}, "usage": {"prompt_tokens": 1}}]}).usage == (1, 0)
    assert piece_of({"usage": {"total_tokens": 9}}).usage is None
    assert piece_of({"usage": None}).usage is None


def test_tool_fragments_in_every_shape():
    fragments = piece_of(
        chunk(
            {
                "tool_calls": [
                    {"index": 0, "id": "a", "type": "function", "function": {"name": "f", "arguments": '{"x"'}},
                    {"function": {"arguments": {"y": 1}}},
                    {"index": "2", "function": {"name": " g ", "arguments": 7}},
                    "garbage",
                ]
            }
        )
    ).tool_fragments
    assert fragments == [
        ToolFragment(index=0, id="a", name="f", arguments='{"x"'),
        ToolFragment(whole_arguments='{"y": 1}'),
        ToolFragment(index=2, name="g", arguments="7"),
    ]
    single = piece_of(chunk({"tool_calls": {"id": "z", "function": {"name": "h"}}})).tool_fragments
    assert single == [ToolFragment(id="z", name="h")]
    legacy = piece_of(chunk({"function_call": {"name": "old", "arguments": "{}"}})).tool_fragments
    assert legacy == [ToolFragment(name="old", arguments="{}")]


def test_keep_alives_and_odd_payloads_are_not_errors():
    assert piece_of(None) is None
    assert piece_of([1, 2]) is None
    assert piece_of({}) == Piece()
    assert piece_of({"choices": "nonsense"}) == Piece()
    assert piece_of({"code": 200, "msg": "success", "data": None}) == Piece()
    assert piece_of({"choices": [{"text": "legacy"}]}).content == "legacy"


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        ({"error": {"message": "Rate limit reached", "code": 429}}, 429, "Rate limit reached"),
        ({"error": {"message": "too long", "type": "invalid_request_error"}}, 400, "too long"),
        ({"code": 503, "msg": "overloaded", "request_id": "r"}, 503, "overloaded"),
        ({"object": "error", "message": "bad", "code": 400}, 400, "bad"),
        ({"error": "plain words"}, 500, "plain words"),
        # OpenRouter puts the error inside a chunk that still has choices.
        ({"error": {"code": 502, "message": "provider down"}, "choices": [{"delta": {}}]}, 502, "provider down"),
    ],
)
def test_error_objects_raise_with_their_own_code(payload, status, message):
    with pytest.raises(UpstreamError) as raised:
        piece_of(payload)
    assert raised.value.status == status and message in raised.value.message
