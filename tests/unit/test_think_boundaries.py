"""Inline `<think>` splitting at its boundaries: what is released when, and nothing left behind."""

from __future__ import annotations

from models.llm.think import InlineThinkSplitter


def split_stream(*pieces: str, lookahead: float = 0) -> tuple[str, str]:
    splitter = InlineThinkSplitter(lookahead)
    parts = [splitter.feed(p) for p in pieces] + [splitter.close()]
    return "".join(r for r, _ in parts), "".join(a for _, a in parts)


def test_reasoning_is_released_as_soon_as_no_closing_tag_can_be_starting():
    splitter = InlineThinkSplitter()
    assert splitter.feed("<think>abc") == ("abc", "")
    assert splitter.feed("def<") == ("def", "")
    assert splitter.feed("/think>A") == ("", "A")


def test_without_lookahead_even_one_character_is_streamed_at_once():
    assert InlineThinkSplitter().feed("A") == ("", "A")


def test_held_text_is_released_once_it_is_longer_than_the_lookahead():
    splitter = InlineThinkSplitter(lookahead=1)
    assert splitter.feed("a") == ("", "")
    assert splitter.feed("b") == ("", "ab")
    splitter = InlineThinkSplitter(lookahead=5)
    assert splitter.feed("abcde") == ("", "")
    assert splitter.feed("f") == ("", "abcdef")


def test_text_released_past_the_lookahead_is_the_whole_answer_to_the_end():
    assert split_stream("0123456789", "AB", lookahead=5) == ("", "0123456789AB")


def test_a_bare_opening_tag_is_an_empty_block_not_an_answer():
    assert split_stream("<think>") == ("", "")
    assert split_stream("<think>", "</think>Hi") == ("", "Hi")


def test_the_first_closing_tag_ends_the_block_and_later_ones_are_answer_text():
    assert split_stream("<think>a</think>b</think>c") == ("a", "b</think>c")
    assert split_stream("plan</think>x</think>y", lookahead=100) == ("plan", "x</think>y")


def test_a_reply_that_is_only_the_start_of_a_tag_is_the_answer():
    assert split_stream("<") == ("", "<")
    assert split_stream("  <thi") == ("", "  <thi")
