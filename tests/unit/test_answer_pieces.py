"""The answer builder on pieces as they really arrive: split, whitespace-first, cut off at the end."""

from __future__ import annotations

import pytest
from dify_plugin.errors.model import InvokeBadRequestError

from models.llm.answer import AnswerBuilder, ThinkOptions
from models.llm.dialect import Piece
from provider.errors.mapping import guard
from provider.errors.tree import ReplyError


def build(*pieces: Piece) -> str:
    builder = AnswerBuilder()
    shown = "".join(builder.feed(p) for p in pieces)
    closing, _, _ = builder.finish()
    return shown + closing


def test_a_switched_off_thinking_block_split_from_its_answer_keeps_the_answers_whitespace():
    assert build(Piece(content="<think>\n\n</think>\n\n"), Piece(content="Hello")) == "\n\nHello"


def test_whitespace_only_answer_pieces_show_nothing_until_text_follows():
    builder = AnswerBuilder()
    assert builder.feed(Piece(content="<think>\n\n</think>\n")) == ""
    assert builder.feed(Piece(refusal=" ")) == ""
    assert builder.feed(Piece(refusal="No.")) == "\n No."


def test_whitespace_reasoning_pieces_are_held_and_kept_once_text_follows():
    pieces = (Piece(reasoning="\n"), Piece(reasoning="  "), Piece(reasoning="1. plan"), Piece(content="A"))
    assert build(*pieces) == "<think>\n  1. plan\n</think>A"


def test_only_leading_newlines_of_reasoning_are_trimmed():
    assert build(Piece(reasoning="\nXML first"), Piece(content="A")) == "<think>\nXML first\n</think>A"


def test_reasoning_that_comes_back_after_the_answer_began_is_not_shown():
    builder = AnswerBuilder()
    shown = [builder.feed(Piece(reasoning="r")), builder.feed(Piece(content="A")), builder.feed(Piece(reasoning="x"))]
    assert shown == ["<think>\nr", "\n</think>A", ""]
    assert builder.reasoning == "rx"  # both kept for the replay of a tool turn


def test_an_unclosed_inline_block_cut_mid_tag_is_closed_with_everything_that_arrived():
    assert build(Piece(content="<think>abc</th")) == "<think>\nabc</th\n</think>"


def test_a_reply_that_is_only_the_start_of_a_tag_is_shown_at_the_end():
    assert build(Piece(content="<")) == "<"


def test_a_stream_without_any_answer_says_so():
    with pytest.raises(ReplyError) as raised:
        build(Piece(content="  "))
    assert str(raised.value) == "it ended the stream without any answer; please retry"


def test_a_content_filter_with_nothing_shown_says_what_to_do():
    with pytest.raises(InvokeBadRequestError) as raised, guard(None):
        build(Piece(finish_reason="content_filter"))
    assert str(raised.value) == "The model's content filter blocked this answer; rephrase the request."


def test_a_whole_reply_in_pieces_puts_every_piece_before_a_lone_close_in_the_think_block():
    builder = AnswerBuilder(ThinkOptions(), whole=True)
    shown = "".join(builder.feed(Piece(content=text)) for text in ("weighing ", "options</think>The answer."))
    assert shown + builder.finish()[0] == "<think>\nweighing options\n</think>The answer."


def test_an_undeclared_lone_close_is_reported_once_and_the_answer_shown_before_it_is_kept_as_reasoning():
    closes: list[int] = []
    builder = AnswerBuilder(ThinkOptions(on_lone_close=lambda: closes.append(1)))
    for text in ("weigh", "ing ", "options</think>The answer", " is </think> here", "."):
        builder.feed(Piece(content=text))
    builder.finish()
    assert closes == [1]
    assert builder.reasoning == "weighing options"  # replayed on a tool turn


def test_nothing_is_reported_without_a_lone_close_or_without_a_listener():
    closes: list[int] = []
    builder = AnswerBuilder(ThinkOptions(on_lone_close=lambda: closes.append(1)))
    for text in ("plain ", "answer"):
        builder.feed(Piece(content=text))
    builder.finish()
    assert closes == []
    quiet = AnswerBuilder(ThinkOptions())
    assert quiet.feed(Piece(content="why</think>so")) == "<think>\nwhy\n</think>so"


def test_a_server_with_a_reasoning_field_is_not_told_about_a_lone_close_in_its_content():
    closes: list[int] = []
    builder = AnswerBuilder(ThinkOptions(on_lone_close=lambda: closes.append(1)))
    builder.feed(Piece(reasoning="thinking"))
    builder.feed(Piece(content="echo</think>answer"))
    builder.finish()
    assert closes == []
