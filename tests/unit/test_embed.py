from __future__ import annotations

from types import SimpleNamespace

import pytest

from models.text_embedding.batching import Piece
from models.text_embedding.embed import EmbeddingReplyError, check_vectors, embed_batch


def fake_client(rows, usage=None):
    response = SimpleNamespace(data=[SimpleNamespace(index=i, embedding=e) for i, e in rows], usage=usage)
    return SimpleNamespace(embeddings=SimpleNamespace(create=lambda **_: response))


BATCH = [Piece(0, "a", 3), Piece(1, "b", 4)]


def test_rows_are_put_back_in_input_order():
    result = embed_batch(fake_client([(1, [0.0, 1.0]), (0, [1.0, 0.0])]), "m", BATCH, None)
    assert result.vectors == [[1.0, 0.0], [0.0, 1.0]]
    assert result.tokens == 7, "no server usage: our own counts"


def test_rows_without_indices_keep_the_server_order():
    result = embed_batch(fake_client([(None, [1.0]), (None, [2.0])]), "m", BATCH, None)
    assert result.vectors == [[1.0], [2.0]]


@pytest.mark.parametrize("rows", [[(0, [1.0])], [(0, [1.0]), (0, [2.0])], [(0, [1.0]), (5, [2.0])]])
def test_missing_or_duplicate_rows_are_rejected(rows):
    with pytest.raises(EmbeddingReplyError):
        embed_batch(fake_client(rows), "m", BATCH, None)


def test_server_usage_wins():
    usage = SimpleNamespace(total_tokens=11, prompt_tokens=11)
    assert embed_batch(fake_client([(0, [1.0]), (1, [1.0])], usage), "m", BATCH, None).tokens == 11


def test_vector_checks():
    check_vectors([[0.1, 0.2], [0.3, 0.4]], 2)
    for bad, dims in (([[0.1], [0.1, 0.2]], None), ([[0.1, float("inf")]], None), ([[0.1]], 2)):
        with pytest.raises(EmbeddingReplyError):
            check_vectors(bad, dims)
