"""Inline think splitting, tool-call assembly and the answer builder, on hand-made pieces."""

from __future__ import annotations

import json

import pytest
from dify_plugin.errors.model import InvokeBadRequestError

from models.llm.answer import AnswerBuilder, normalise_finish
from models.llm.dialect import Piece, ToolFragment
from models.llm.think import InlineThinkSplitter
from models.llm.toolcalls import ToolCallAssembler
from provider.errors.mapping import guard
from provider.errors.tree import ReplyError


# --- inline <think> -------------------------------------------------------------------------
def split_stream(*pieces: str, opened: bool = False, whole: bool = False) -> tuple[str, str]:
    splitter = InlineThinkSplitter(opened=opened, whole=whole)
    parts = [splitter.feed(p) for p in pieces] + [splitter.close()]
    return "".join(r for r, _ in parts), "".join(a for _, a in parts)


def test_a_leading_think_block_is_reasoning_at_every_split_point():
    text = "\n<think>\nweigh it\n</think>\n\nThe answer."
    for cut in range(len(text) + 1):
        assert split_stream(text[:cut], text[cut:]) == ("\nweigh it\n", "\n\nThe answer."), cut
    assert split_stream(*text) == ("\nweigh it\n", "\n\nThe answer.")


def test_think_later_in_an_answer_is_answer_text():
    assert split_stream("Use <think> tags like <think>x</think>.") == ("", "Use <think> tags like <think>x</think>.")


def test_an_unclosed_block_is_reasoning_cut_short():
    assert split_stream("<think>still thinking</thi") == ("still thinking</thi", "")


# Issue 19: no lookahead any more. A template that opens <think> in the prompt is declared
# (`opened`); a whole reply is split exactly; a stream never holds its answer back.
def test_a_lone_closing_tag_ends_reasoning_opened_in_the_prompt_when_declared_or_in_a_whole_reply():
    pieces = ("The user greets me.", "\n</thi", "nk>\n\nHello!")
    assert split_stream(*pieces, opened=True) == ("The user greets me.\n", "\n\nHello!")
    assert split_stream(*pieces, whole=True) == ("The user greets me.\n", "\n\nHello!")
    # Undeclared and streamed, the text is the answer at once; only the tag is taken out.
    splitter = InlineThinkSplitter()
    assert splitter.feed("The user greets me.") == ("", "The user greets me.")
    assert splitter.feed("\n</thi") == ("", "\n")  # a possible tag waits for the next piece, nothing more
    assert splitter.feed("nk>\n\nHello!") == ("", "\n\nHello!")
    assert splitter.lone_close


def test_a_whole_reply_without_a_closing_tag_is_the_answer_and_a_declared_one_is_reasoning():
    held = InlineThinkSplitter(whole=True)
    assert held.feed("brief answer") == ("", "")
    assert held.close() == ("", "brief answer")
    assert split_stream("still thinking", opened=True) == ("still thinking", "")


def test_text_that_only_looks_like_a_tag_start_is_released():
    assert split_stream("<th", "e end") == ("", "<the end")
    assert split_stream("   ") == ("", "   ")


def test_the_splitter_emits_reasoning_before_the_block_closes():
    splitter = InlineThinkSplitter()
    assert splitter.feed("<think>abc</th") == ("abc", "")
    assert splitter.feed("ink>ok") == ("", "ok")


# --- tool calls -------------------------------------------------------------------------------
def assemble(*fragments: ToolFragment) -> list[tuple[str, str, dict]]:
    assembler = ToolCallAssembler()
    for fragment in fragments:
        assembler.add(fragment)
    return [(c.id, c.function.name, json.loads(c.function.arguments)) for c in assembler.calls()]


def test_interleaved_calls_are_joined_by_index_and_ordered_by_index():
    calls = assemble(
        ToolFragment(index=1, id="b", name="two"),
        ToolFragment(index=0, id="a", name="one", arguments='{"x"'),
        ToolFragment(index=1, arguments='{"y": 2}'),
        ToolFragment(index=0, arguments=": 1}"),
    )
    assert calls == [("a", "one", {"x": 1}), ("b", "two", {"y": 2})]


def test_fragments_without_index_continue_the_open_call():
    calls = assemble(ToolFragment(id="a", name="f", arguments='{"q":'), ToolFragment(arguments=' "v"}'))
    assert calls == [("a", "f", {"q": "v"})]


def test_id_and_name_repeated_on_every_fragment_is_one_call():
    calls = assemble(*(ToolFragment(index=0, id="a", name="f", arguments=part) for part in ('{"q', '": ', "1}")))
    assert calls == [("a", "f", {"q": 1})]


def test_a_new_id_on_a_reused_index_is_a_new_call():
    calls = assemble(
        ToolFragment(index=0, id="a", name="f", arguments='{"n": 1}'),
        ToolFragment(index=0, id="b", name="f", arguments='{"n": 2}'),
    )
    assert calls == [("a", "f", {"n": 1}), ("b", "f", {"n": 2})]


def test_without_ids_a_named_fragment_after_a_finished_call_is_a_new_call():
    calls = assemble(
        ToolFragment(name="f", arguments='{"n": 1}'),
        ToolFragment(name="g", arguments='{"m": 2}'),
        ToolFragment(name="g", arguments='{"m": 3}'),
    )
    assert [(name, args) for _, name, args in calls] == [("f", {"n": 1}), ("g", {"m": 2}), ("g", {"m": 3})]
    # ...but the same name repeated while the arguments are unfinished is the same call.
    assert len(assemble(ToolFragment(name="f", arguments='{"n"'), ToolFragment(name="f", arguments=": 1}"))) == 1


def test_arguments_sent_whole_as_an_object_replace_the_text():
    calls = assemble(ToolFragment(index=0, id="a", name="f"), ToolFragment(index=0, whole_arguments='{"k": [1]}'))
    assert calls == [("a", "f", {"k": [1]})]


def test_empty_or_null_arguments_become_an_empty_object_and_ids_are_made_when_missing():
    assembler = ToolCallAssembler()
    assembler.add(ToolFragment(name="noargs"))
    assembler.add(ToolFragment(index=3, name="nullargs", arguments="null"))
    calls = assembler.calls()
    assert [c.function.arguments for c in calls] == ["{}", "{}"]
    assert all(c.id.startswith("call_") for c in calls) and calls[0].id != calls[1].id


def test_nameless_fragments_make_no_call_and_broken_json_is_refused():
    assert not ToolCallAssembler()
    assembler = ToolCallAssembler()
    assembler.add(ToolFragment(index=0, arguments="{}"))
    assert not assembler and assembler.calls() == []
    assembler.add(ToolFragment(index=1, name="f", arguments='{"open": '))
    with pytest.raises(ReplyError, match=r"tool 'f'.*not valid JSON"):
        assembler.calls()


# --- the answer builder ---------------------------------------------------------------------
def build(*pieces: Piece) -> tuple[str, list, str]:
    builder = AnswerBuilder()
    shown = "".join(builder.feed(p) for p in pieces)
    closing, calls, finish = builder.finish()
    return shown + closing, calls, finish


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("stop", "stop"),
        ("eos", "stop"),
        ("EOS_TOKEN", "stop"),
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("something_new", "stop"),
        ("length", "length"),
        ("max_tokens", "length"),
        ("tool_calls", "tool_calls"),
        ("function_call", "tool_calls"),
        ("tool_use", "tool_calls"),
        ("content_filter", "content_filter"),
        (None, None),
    ],
)
def test_finish_reasons_are_normalised(raw, normal):
    assert normalise_finish(raw) == normal


@pytest.mark.parametrize("raw", ["abort", "error", "cancelled", "Aborted"])
def test_an_aborted_ending_is_an_error(raw):
    with pytest.raises(ReplyError, match="before the end"):
        normalise_finish(raw)


def test_reasoning_field_then_answer_is_one_block():
    assert build(Piece(reasoning="a"), Piece(reasoning="b"), Piece(content="X", finish_reason="stop"))[0] == (
        "<think>\nab\n</think>X"
    )


def test_whitespace_reasoning_opens_no_block_and_leading_newlines_are_trimmed():
    assert build(Piece(reasoning="\n\n"), Piece(content="X"))[0] == "X"
    assert build(Piece(reasoning="\n\nr"), Piece(content="X"))[0] == "<think>\nr\n</think>X"


def test_empty_inline_block_from_a_switched_off_thinking_mode_is_dropped():
    assert build(Piece(content="<think>\n\n</think>\n\nHello"))[0] == "\n\nHello"


def test_reasoning_in_both_forms_shows_once():
    text = build(Piece(reasoning="same"), Piece(content="<think>same</think>answer"))[0]
    assert text == "<think>\nsame\n</think>answer"


def test_inline_reasoning_alone_becomes_the_block():
    assert build(Piece(content="<think>in"), Piece(content="line</think>out"))[0] == "<think>\ninline\n</think>out"


def test_whitespace_before_reasoning_is_not_an_answer():
    # The whitespace stays with the answer; what matters is that the block still comes first.
    assert build(Piece(content="\n\n"), Piece(reasoning="r"), Piece(content="A"))[0] == "<think>\nr\n</think>\n\nA"


def test_reasoning_after_the_answer_began_is_kept_for_replay_only():
    builder = AnswerBuilder()
    shown = builder.feed(Piece(content="A")) + builder.feed(Piece(reasoning="late"))
    assert shown == "A" and builder.reasoning == "late"


def test_a_block_still_open_at_the_end_is_closed():
    assert build(Piece(reasoning="only", finish_reason="length")) == ("<think>\nonly\n</think>", [], "length")


def test_refusal_is_the_answer():
    assert build(Piece(refusal="I can't help with that.", finish_reason="stop"))[0] == "I can't help with that."


def test_no_finish_reason_after_an_answer_is_a_normal_stop_and_after_nothing_an_error():
    assert build(Piece(content="done"))[2] == "stop"
    with pytest.raises(ReplyError, match="without any answer"):
        build(Piece(content=""), Piece(reasoning="  "))


def test_tool_calls_turn_finishing_with_stop_reports_tool_calls():
    text, calls, finish = build(Piece(tool_fragments=[ToolFragment(name="f", arguments="{}")], finish_reason="stop"))
    assert (text, [c.function.name for c in calls], finish) == ("", ["f"], "tool_calls")


def test_length_drops_a_half_written_call():
    cut = Piece(tool_fragments=[ToolFragment(index=0, name="f", arguments='{"a": ')], finish_reason="length")
    assert build(cut) == ("", [], "length")


def test_a_content_filter_with_nothing_shown_is_a_clear_error():
    with pytest.raises(InvokeBadRequestError, match="content filter"), guard(None):
        build(Piece(finish_reason="content_filter"))
    assert build(Piece(content="partial", finish_reason="content_filter"))[2] == "content_filter"


def test_last_usage_wins_and_pieces_without_usage_keep_it():
    builder = AnswerBuilder()
    for piece in (Piece(content="a", usage=(1, 1)), Piece(content="b", usage=(1, 2)), Piece(content="c")):
        builder.feed(piece)
    assert builder.usage == (1, 2)
