"""Windows, budgets, batches and merges, against expectations derived from published cl100k facts.

cl100k_base facts used (tiktoken's tests/test_encoding.py): "hello world" -> [15339, 1917],
"👍" -> [9468, 239, 235]. cl100k's published split pattern makes every further " world" its own
piece (so "hello" + " world" * (n - 1) is n tokens) and cuts digit runs into groups of at most
three from the left, which never share a token with letters.
"""

from __future__ import annotations

import math

import pytest

from models.text_embedding.batching import (
    Piece,
    budget_tokens,
    merge_windows,
    normalise,
    plan_batches,
    split_into_pieces,
)
from models.vision_utils.tokens.text import encoding
from provider.errors.tree import ReplyError


def hello_world(tokens: int) -> str:
    return "hello" + " world" * (tokens - 1)


def ids(text: str) -> list[int]:
    return encoding().encode_ordinary(text)


# --- budget tokens -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "budget"),
    [
        ("hello world", 2),
        ("tiktoken is great!", 6),  # [83, 1609, 5963, 374, 2294, 0] (OpenAI cookbook)
        ("1234567", 7),  # a per-digit tokenizer's count, not cl100k's 3 groups
        ("hello world1234567", 9),
        ("", 0),
    ],
)
def test_budget_counts_words_as_cl100k_and_numbers_per_digit(text, budget):
    assert budget_tokens(ids(text)) == budget


# --- split_into_pieces ---------------------------------------------------------------------
def test_a_text_of_exactly_the_window_is_one_piece():
    assert split_into_pieces([hello_world(100)], window_tokens=100) == [Piece(0, hello_world(100), 100)]


def test_one_token_over_the_window_makes_two_windows():
    pieces = split_into_pieces([hello_world(101)], window_tokens=100)
    assert pieces == [Piece(0, hello_world(100), 100), Piece(0, " world", 1)]


def test_windows_cover_the_text_exactly_in_order():
    texts = ["short", hello_world(250), "tail"]
    pieces = split_into_pieces(texts, window_tokens=100)
    assert [(p.text_index, p.tokens) for p in pieces] == [(0, 1), (1, 100), (1, 100), (1, 50), (2, 1)]
    assert "".join(p.text for p in pieces if p.text_index == 1) == texts[1]
    assert pieces[2].text == " world" * 100


def test_empty_text_still_gets_a_piece_of_weight_one():
    assert split_into_pieces([""], 10) == [Piece(0, "", 1)]


def test_numbers_are_windowed_by_digits():
    # 12 digits are four 3-digit cl100k tokens; a window of 7 digits holds two of them.
    assert split_into_pieces(["123456789012"], window_tokens=7) == [Piece(0, "123456", 6), Piece(0, "789012", 6)]
    assert split_into_pieces(["1234567"], window_tokens=7) == [Piece(0, "1234567", 7)]
    assert len(split_into_pieces(["1234567"], window_tokens=6)) == 2


def test_windows_never_cut_a_character_apart():
    # Each 👍 is three byte tokens; a window of 4 tokens must stop after the first whole one.
    assert split_into_pieces(["👍👍👍"], window_tokens=4) == [Piece(0, "👍", 3)] * 3
    # CJK Extension B characters are four byte tokens each (UTF-8's longest): a window of 7 ends
    # three tokens into the second one, and must step back all three.
    ext_b = "\U00020080"
    assert len(encoding().encode_ordinary(ext_b)) == 4
    assert split_into_pieces([ext_b * 3], window_tokens=7) == [Piece(0, ext_b, 4)] * 3


def test_a_token_dearer_than_the_window_still_goes_out_alone():
    assert split_into_pieces(["123456"], window_tokens=2) == [Piece(0, "123", 3), Piece(0, "456", 3)]


# --- plan_batches --------------------------------------------------------------------------
def pieces_of(*tokens: int) -> list[Piece]:
    return [Piece(index, str(index), count) for index, count in enumerate(tokens)]


def shape(batches: list[list[Piece]]) -> list[list[int]]:
    return [[piece.text_index for piece in batch] for batch in batches]


def test_a_batch_holds_exactly_max_items():
    assert shape(plan_batches(pieces_of(1, 1, 1), max_items=3, max_tokens=100)) == [[0, 1, 2]]
    assert shape(plan_batches(pieces_of(1, 1, 1, 1), max_items=3, max_tokens=100)) == [[0, 1, 2], [3]]


def test_a_batch_holds_exactly_max_tokens():
    assert shape(plan_batches(pieces_of(10, 10), max_items=10, max_tokens=20)) == [[0, 1]]
    assert shape(plan_batches(pieces_of(10, 11), max_items=10, max_tokens=20)) == [[0], [1]]


def test_the_token_count_restarts_with_each_batch():
    assert shape(plan_batches(pieces_of(15, 10, 10, 10), max_items=10, max_tokens=20)) == [[0], [1, 2], [3]]


def test_oversized_pieces_get_a_batch_of_their_own():
    batches = plan_batches(pieces_of(5, 50, 5), max_items=10, max_tokens=20)
    assert shape(batches) == [[0], [1], [2]]
    assert shape(plan_batches(pieces_of(50, 1), max_items=10, max_tokens=20)) == [[0], [1]]


def test_no_pieces_no_batches():
    assert plan_batches([], max_items=3, max_tokens=20) == []


# --- normalise and merge_windows ------------------------------------------------------------
def test_normalise_gives_unit_length():
    assert normalise([3.0, 4.0]) == [0.6, 0.8]


@pytest.mark.parametrize("vector", [[0.0, 0.0], [math.inf, 1.0], [math.nan, 1.0]])
def test_vectors_without_a_usable_length_are_rejected(vector):
    with pytest.raises(ReplyError, match=r"^it returned an embedding of zero or non-finite length$"):
        normalise(vector)


def test_a_text_sent_whole_keeps_the_servers_vector_as_is():
    assert merge_windows([Piece(0, "a", 7)], [[3.0, 4.0]], 1) == [[3.0, 4.0]]


def test_windows_merge_by_token_weight_then_normalise():
    pieces = [Piece(0, "x", 2), Piece(1, "a", 3), Piece(1, "b", 1), Piece(2, "c", 5)]
    vectors = [[0.0, 2.0], [1.0, 0.0], [0.0, 1.0], [0.6, 0.8]]
    merged = merge_windows(pieces, vectors, 3)
    assert merged[0] == [0.0, 2.0] and merged[2] == [0.6, 0.8]
    assert merged[1] == pytest.approx([3 / math.sqrt(10), 1 / math.sqrt(10)], abs=1e-12)


def test_merge_refuses_a_vector_count_that_does_not_match():
    with pytest.raises(ValueError):
        merge_windows([Piece(0, "a", 1), Piece(1, "b", 1)], [[1.0]], 2)
