"""How reasoning arrives is declared, never guessed (issue 19, part 1): nothing visible is held back.

A template-opened model (declared) is reasoning from its first token; an undeclared lone `</think>`
leaves what was shown, ends the reasoning there, and is reported once; a whole reply is split exactly.
"""

from __future__ import annotations

import pytest

from models.llm.answer import AnswerBuilder, ThinkOptions
from models.llm.dialect import Piece
from models.llm.stream import completion_to_result
from models.llm.upstream import pieces_of_whole_body
from provider.errors.tree import ReplyError
from tests.unit.fakes import usage_of

THOUGHT, ANSWER = "The user greets me.", "Hello!"


def shown(builder: AnswerBuilder, *contents: str) -> list[str]:
    return [builder.feed(Piece(content=text)) for text in contents]


def test_every_piece_of_a_reasoning_models_plain_answer_is_shown_when_it_arrives():
    builder = AnswerBuilder(ThinkOptions())
    assert shown(builder, "Hel", "lo", " there") == ["Hel", "lo", " there"]
    assert builder.finish()[0] == ""


def test_a_declared_template_opens_the_block_at_the_first_token_and_the_lone_close_ends_it():
    reported: list[int] = []
    builder = AnswerBuilder(ThinkOptions(opened=True, on_lone_close=lambda: reported.append(1)))
    out = shown(builder, "The user", " greets me.", "\n</think>\n\n", ANSWER)
    assert out == ["<think>\nThe user", " greets me.", "\n\n</think>\n\n", ANSWER]
    assert builder.reasoning == "The user greets me.\n"
    assert reported == [], "a declared close is not news"


def test_a_declared_template_whose_reply_starts_with_its_own_open_tag_shows_one_block():
    builder = AnswerBuilder(ThinkOptions(opened=True))
    text = "".join(shown(builder, "<think>", THOUGHT, "</think>", ANSWER)) + builder.finish()[0]
    assert text == f"<think>\n{THOUGHT}\n</think>{ANSWER}"


def test_a_declared_template_is_ignored_when_the_server_already_split_the_reasoning():
    builder = AnswerBuilder(ThinkOptions(opened=True))
    first = builder.feed(Piece(reasoning=THOUGHT))
    assert first == f"<think>\n{THOUGHT}"
    assert builder.feed(Piece(content=ANSWER)) == f"\n</think>{ANSWER}"


def test_an_undeclared_lone_close_is_reported_once_and_its_reasoning_is_kept_for_replay():
    reported: list[int] = []
    builder = AnswerBuilder(ThinkOptions(on_lone_close=lambda: reported.append(1)))
    out = shown(builder, "The user", " greets me.</think>", ANSWER, " Bye </think> now")
    assert out == ["The user", "", ANSWER, " Bye </think> now"]  # a later </think> is the answer's text
    assert reported == [1]
    assert builder.reasoning == "The user greets me."  # what was shown as answer was the reasoning


def test_a_close_tag_after_an_answer_that_mentions_think_tags_is_text():
    reported: list[int] = []
    builder = AnswerBuilder(ThinkOptions(on_lone_close=lambda: reported.append(1)))
    out = shown(builder, "Write <thi", "nk> then </think> in the prompt.")
    assert "".join(out) == "Write <think> then </think> in the prompt."
    assert reported == []


def test_a_whole_reply_is_split_exactly_and_reported_when_undeclared():
    reported: list[int] = []
    pieces = [Piece(content=f"{THOUGHT}\n</think>\n\n{ANSWER}", finish_reason="stop")]
    result = completion_to_result(
        "m", pieces, usage_of, lambda text: (1, 1), ThinkOptions(on_lone_close=lambda: reported.append(1))
    )
    assert result.message.content == f"<think>\n{THOUGHT}\n\n</think>\n\n{ANSWER}"
    assert reported == [1]
    declared = completion_to_result("m", pieces, usage_of, lambda text: (1, 1), ThinkOptions(opened=True))
    assert declared.message.content == result.message.content


@pytest.mark.parametrize("finish", ['"stop"', '"length"', "null"])
def test_a_blocking_reply_whose_only_choice_has_no_message_is_a_clear_error(finish):
    body = f'{{"id": "x", "choices": [{{"index": 0, "message": null, "finish_reason": {finish}}}]}}'.encode()
    with pytest.raises(ReplyError, match="could not be read: the completion has no message"):
        pieces_of_whole_body(body)


def test_a_blocking_reply_with_an_empty_message_is_still_read():
    body = b'{"choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}]}'
    assert pieces_of_whole_body(body)[0].content == "Hi"
    legacy = b'{"choices": [{"index": 0, "text": "Hi", "finish_reason": "stop"}]}'
    assert pieces_of_whole_body(legacy)[0].content == "Hi"
