"""More dialects, each read into exactly one normalised piece (nothing extra, nothing lost)."""

from __future__ import annotations

from models.llm.dialect import Piece, ToolFragment, piece_of


def delta(**fields) -> dict:
    return {"choices": [{"index": 0, "delta": fields, "finish_reason": None}]}


def test_plain_content_has_no_reasoning_refusal_or_calls():
    assert piece_of(delta(content="Hello")) == Piece(content="Hello")
    assert piece_of(delta(content=[{"type": "text", "text": "Hello"}])) == Piece(content="Hello")


def test_magistral_thinking_parts_are_reasoning_and_not_content():
    # Mistral Magistral: content is a list with {"type": "thinking", "thinking": [text parts]}.
    content = [
        {"type": "thinking", "thinking": [{"type": "text", "text": "Let me "}, {"type": "text", "text": "see."}]},
        "plain part, ",
        {"type": "thinking", "thinking": " Yes."},
        {"type": "text", "text": "The answer."},
    ]
    assert piece_of(delta(content=content)) == Piece(content="plain part, The answer.", reasoning="Let me see. Yes.")


def test_reasoning_parts_with_text_are_reasoning_too():
    content = [{"type": "reasoning", "text": "hmm"}, {"type": "output_text", "text": "ok"}]
    assert piece_of(delta(content=content)) == Piece(content="ok", reasoning="hmm")


def test_a_reasoning_field_wins_over_thinking_parts():
    content = [{"type": "thinking", "thinking": "inline"}, {"type": "text", "text": "A"}]
    assert piece_of(delta(reasoning_content="field", content=content)) == Piece(content="A", reasoning="field")


def test_openrouter_reasoning_details_join_their_text_and_skip_the_rest():
    details = [
        {"type": "reasoning.text", "text": "first "},
        "junk",
        {"type": "reasoning.summary", "summary": "s"},
        {"type": "reasoning.text", "text": "second"},
    ]
    assert piece_of(delta(reasoning_details=details)) == Piece(reasoning="first second")


def test_a_refusal_is_carried_beside_empty_content():
    assert piece_of(delta(content=None, refusal="I can't help with that.")) == Piece(refusal="I can't help with that.")


def test_arguments_sent_as_an_object_keep_their_characters():
    call = {"index": 0, "id": "c", "function": {"name": "weather", "arguments": {"city": "Zürich"}}}
    (fragment,) = piece_of(delta(tool_calls=[call])).tool_fragments
    assert fragment.whole_arguments == '{"city": "Zürich"}'


def test_a_fragment_without_a_function_object_keeps_its_index_and_id():
    fragments = piece_of(delta(tool_calls=[{"index": 1, "id": "c"}, {"index": 2, "function": "junk"}])).tool_fragments
    assert fragments == [ToolFragment(index=1, id="c"), ToolFragment(index=2)]


def test_an_index_sent_as_a_whole_float_is_that_index_and_others_are_none():
    indexes = [{"index": 2.0}, {"index": 1.5}, {"index": True}, {"index": "x"}]
    fragments = piece_of(delta(tool_calls=[{**i, "function": {"name": "f"}} for i in indexes])).tool_fragments
    assert [f.index for f in fragments] == [2, None, None, None]


def test_usage_with_one_side_missing_counts_it_as_zero():
    assert piece_of({"usage": {"completion_tokens": 5}}).usage == (0, 5)
    assert piece_of({"usage": {"prompt_tokens": 5}}).usage == (5, 0)
    assert piece_of({"usage": {"prompt_tokens": 5.0, "completion_tokens": True}}).usage == (5, 0)
