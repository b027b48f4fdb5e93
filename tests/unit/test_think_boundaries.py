"""Inline `<think>` splitting at its boundaries: what is released when, and nothing left behind."""

from __future__ import annotations

from models.llm.think import InlineThinkSplitter


def split_stream(*pieces: str, whole: bool = False) -> tuple[str, str]:
    splitter = InlineThinkSplitter(whole=whole)
    parts = [splitter.feed(p) for p in pieces] + [splitter.close()]
    return "".join(r for r, _ in parts), "".join(a for _, a in parts)


def test_reasoning_is_released_as_soon_as_no_closing_tag_can_be_starting():
    splitter = InlineThinkSplitter()
    assert splitter.feed("<think>abc") == ("abc", "")
    assert splitter.feed("def<") == ("def", "")
    assert splitter.feed("/think>A") == ("", "A")


def test_even_one_character_is_streamed_at_once():
    assert InlineThinkSplitter().feed("A") == ("", "A")


# Issue 19 removed the lookahead these boundaries were about; what replaces it: a whole reply holds
# everything to its end, a stream holds at most a possible `</think>` start.
def test_a_whole_reply_releases_its_text_at_the_end_or_once_a_think_tag_makes_it_the_answer():
    splitter = InlineThinkSplitter(whole=True)
    assert splitter.feed("abcde") == ("", "")
    assert splitter.feed("f") == ("", "")
    assert splitter.close() == ("", "abcdef")
    splitter = InlineThinkSplitter(whole=True)
    assert splitter.feed("use <think> tags") == ("", "use <think> tags")
    assert splitter.feed(" and </think>") == ("", " and </think>")


def test_a_stream_holds_only_what_could_be_the_start_of_a_closing_tag():
    splitter = InlineThinkSplitter()
    assert splitter.feed("0123456789<") == ("", "0123456789")
    assert splitter.feed("b") == ("", "<b")
    assert splitter.feed("a </") == ("", "a ")
    assert splitter.close() == ("", "</")


def test_a_bare_opening_tag_is_an_empty_block_not_an_answer():
    assert split_stream("<think>") == ("", "")
    assert split_stream("<think>", "</think>Hi") == ("", "Hi")


def test_the_first_closing_tag_ends_the_block_and_later_ones_are_answer_text():
    assert split_stream("<think>a</think>b</think>c") == ("a", "b</think>c")
    assert split_stream("plan</think>x</think>y", whole=True) == ("plan", "x</think>y")
    assert split_stream("plan</think>x</think>y") == ("plan", "x</think>y")


def test_a_reply_that_is_only_the_start_of_a_tag_is_the_answer():
    assert split_stream("<") == ("", "<")
    assert split_stream("  <thi") == ("", "  <thi")


def test_a_whole_answer_that_mentions_think_ends_exactly_as_sent():
    assert split_stream("Use the <think> tag here.", whole=True) == ("", "Use the <think> tag here.")


def test_a_single_character_of_reasoning_before_a_lone_close_is_reasoning():
    assert split_stream("a</think>b") == ("a", "b")
    assert split_stream("a</think>b", whole=True) == ("a", "b")


def test_once_an_answer_has_shown_a_think_tag_a_later_closing_tag_is_its_text():
    assert split_stream("Use <think>", " and </think> tags") == ("", "Use <think> and </think> tags")


def test_a_think_tag_cut_across_pieces_of_the_answer_is_still_seen():
    # "A <think" + ">x</think> y": the answer wrote a whole <think>...</think>; nothing in it is reasoning
    assert split_stream("A <think", ">x</think> y") == ("", "A <think>x</think> y")
    assert split_stream("Answer: <think", ">x</think> y") == ("", "Answer: <think>x</think> y")


def test_a_declared_template_reply_that_ends_before_any_text_is_reasoning():
    splitter = InlineThinkSplitter(opened=True)
    assert splitter.feed("<thi") == ("", "")
    assert splitter.close() == ("<thi", "")
