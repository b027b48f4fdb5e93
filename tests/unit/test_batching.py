from __future__ import annotations

import math

import pytest

from models.text_embedding.batching import Piece, merge_windows, normalise, plan_batches, split_into_pieces


def test_short_texts_are_single_pieces_and_long_ones_windows():
    pieces = split_into_pieces(["hello world", "word " * 250], window_tokens=100)
    assert pieces[0] == Piece(0, "hello world", 2)
    windows = [p for p in pieces if p.text_index == 1]
    assert [p.tokens for p in windows] == [100, 100, 51]  # "word", 249 x " word", a trailing " "
    assert "".join(p.text for p in windows) == "word " * 250, "windows cover the text exactly"


def test_empty_text_still_gets_a_piece():
    assert split_into_pieces([""], 10) == [Piece(0, "", 1)]


def test_batches_obey_both_limits_and_keep_order():
    pieces = [Piece(i, str(i), tokens) for i, tokens in enumerate([5, 5, 5, 20, 1, 1, 1])]
    batches = plan_batches(pieces, max_items=3, max_tokens=20)
    assert [[p.text_index for p in b] for b in batches] == [[0, 1, 2], [3], [4, 5, 6]]
    assert all(len(b) <= 3 and sum(p.tokens for p in b) <= 20 for b in batches)


def test_oversized_single_piece_gets_its_own_batch():
    batches = plan_batches([Piece(0, "a", 50), Piece(1, "b", 1)], max_items=10, max_tokens=20)
    assert [[p.text_index for p in b] for b in batches] == [[0], [1]]


def test_windows_merge_by_token_weight_and_normalise():
    pieces = [Piece(0, "a", 3), Piece(0, "b", 1), Piece(1, "c", 2)]
    merged = merge_windows(pieces, [[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], 2)
    assert merged[1] == [0.6, 0.8]
    assert merged[0] == pytest.approx([3 / math.sqrt(10), 1 / math.sqrt(10)])


def test_zero_vectors_are_rejected():
    with pytest.raises(ValueError):
        normalise([0.0, 0.0])
