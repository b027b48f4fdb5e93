"""embed.py: one batch's reply put in order and checked, batches run concurrently and bounded."""

from __future__ import annotations

import math
import threading
import time
from types import SimpleNamespace

import pytest

from models.text_embedding.batching import Piece
from models.text_embedding.embed import (
    MAX_CONCURRENT_REQUESTS,
    DimensionMismatchError,
    EmbeddingReplyError,
    check_vectors,
    embed_all,
    embed_batch,
)
from provider.transport import Deadline


class FakeClient:
    """`client.embeddings.create` answering fixed rows, recording every call's arguments."""

    def __init__(self, rows=None, usage=None, answer=None):
        self.calls: list[dict] = []
        self.rows, self.usage, self.answer = rows, usage, answer
        self.embeddings = SimpleNamespace(create=self.create)

    def create(self, **kwargs):
        self.timeouts = [*getattr(self, "timeouts", []), kwargs.pop("timeout")]  # every call is bounded
        self.calls.append(kwargs)
        if self.answer:
            return self.answer(kwargs)
        data = [SimpleNamespace(index=index, embedding=vector) for index, vector in self.rows]
        return SimpleNamespace(data=data, usage=self.usage)


BATCH = [Piece(0, "a", 3), Piece(1, "b", 4)]


def test_rows_are_put_back_in_input_order():
    client = FakeClient([(1, [0.0, 1.0]), (0, [1.0, 0.0])])
    result = embed_batch(client, "m", BATCH, None, Deadline.start(60))
    assert result.vectors == [[1.0, 0.0], [0.0, 1.0]]
    assert client.calls == [{"model": "m", "input": ["a", "b"]}], "no dimensions unless the form sets them"


def test_dimensions_are_sent_when_set():
    client = FakeClient([(0, [1.0]), (1, [1.0])])
    embed_batch(client, "m", BATCH, 32, Deadline.start(60))
    assert client.calls[0]["dimensions"] == 32


def test_rows_without_indices_keep_the_server_order():
    result = embed_batch(FakeClient([(None, [1.0]), (None, [2.0])]), "m", BATCH, None, Deadline.start(60))
    assert result.vectors == [[1.0], [2.0]]


@pytest.mark.parametrize(
    "rows",
    [[(0, [1.0])], [(0, [1.0]), (0, [2.0])], [(0, [1.0]), (2, [2.0])], [(1, [1.0]), (2, [2.0])], []],
    ids=["missing", "duplicate", "gap", "shifted", "empty"],
)
def test_missing_duplicate_or_misnumbered_rows_are_rejected(rows):
    with pytest.raises(EmbeddingReplyError, match=f"{len(rows)} vectors for 2 inputs"):
        embed_batch(FakeClient(rows), "m", BATCH, None, Deadline.start(60))


def test_one_row_too_many_is_rejected():
    with pytest.raises(EmbeddingReplyError):
        embed_batch(FakeClient([(0, [1.0]), (1, [1.0]), (2, [1.0])]), "m", BATCH, None, Deadline.start(60))


@pytest.mark.parametrize(
    ("usage", "tokens"),
    [
        (SimpleNamespace(total_tokens=12, prompt_tokens=11), 12),
        (SimpleNamespace(total_tokens=0, prompt_tokens=11), 11),
        (SimpleNamespace(total_tokens=None, prompt_tokens=None), 7),
        (None, 7),
    ],
    ids=["total", "prompt", "zeros", "absent"],
)
def test_the_servers_usage_wins_else_our_own_count(usage, tokens):
    assert (
        embed_batch(FakeClient([(0, [1.0]), (1, [1.0])], usage), "m", BATCH, None, Deadline.start(60)).tokens == tokens
    )


def vector_of(text: str) -> list[float]:
    return [float(len(text)), float(ord(text[0]))]


def test_all_batches_come_back_in_order_with_tokens_summed():
    def answer(kwargs):
        # Later batches answer first, so completion order differs from input order.
        time.sleep(0.02 * (6 - int(kwargs["input"][0][1:])))
        data = [SimpleNamespace(index=i, embedding=vector_of(t)) for i, t in enumerate(kwargs["input"])]
        return SimpleNamespace(data=data, usage=SimpleNamespace(total_tokens=10, prompt_tokens=10))

    batches = [[Piece(n, f"t{n}", 1)] for n in range(6)]
    vectors, tokens = embed_all(FakeClient(answer=answer), "m", batches, None, Deadline.start(60))
    assert vectors == [vector_of(f"t{n}") for n in range(6)]
    assert tokens == 60


def test_batches_overlap_up_to_the_bound_and_never_beyond():
    lock, state = threading.Lock(), {"now": 0, "most": 0}

    def answer(kwargs):
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.1)
        with lock:
            state["now"] -= 1
        return SimpleNamespace(data=[SimpleNamespace(index=0, embedding=[1.0])], usage=None)

    embed_all(FakeClient(answer=answer), "m", [[Piece(n, "x", 1)] for n in range(10)], None, Deadline.start(60))
    assert state["most"] == MAX_CONCURRENT_REQUESTS == 4


def test_one_failed_batch_fails_the_call():
    def answer(kwargs):
        if kwargs["input"] == ["t3"]:
            raise RuntimeError("node lost")
        return SimpleNamespace(data=[SimpleNamespace(index=0, embedding=[1.0])], usage=None)

    with pytest.raises(RuntimeError, match="node lost"):
        embed_all(FakeClient(answer=answer), "m", [[Piece(n, f"t{n}", 1)] for n in range(5)], None, Deadline.start(60))


def test_all_vectors_are_checked_together():
    def answer(kwargs):
        size = 2 if kwargs["input"] == ["t0"] else 3
        return SimpleNamespace(data=[SimpleNamespace(index=0, embedding=[0.5] * size)], usage=None)

    with pytest.raises(EmbeddingReplyError, match=r"different sizes: \[2, 3\]"):
        embed_all(FakeClient(answer=answer), "m", [[Piece(0, "t0", 1)], [Piece(1, "t1", 1)]], None, Deadline.start(60))


# --- check_vectors -------------------------------------------------------------------------
def test_good_vectors_pass():
    check_vectors([[0.1, 0.2], [0.3, 0.4]], 2)
    check_vectors([[0.1, 0.2, 0.3]], None)


@pytest.mark.parametrize(
    ("vectors", "dimensions", "error", "message"),
    [
        ([[0.1], [0.1, 0.2]], None, EmbeddingReplyError, "different sizes"),
        ([[], []], None, EmbeddingReplyError, "different sizes"),
        ([[0.1, 0.2]], 3, DimensionMismatchError, "asked for 3 dimensions, got 2"),
        ([[0.1, 0.2, 0.3, 0.4]], 3, DimensionMismatchError, "asked for 3 dimensions, got 4"),
        ([[0.1, math.inf]], None, EmbeddingReplyError, "NaN or infinite"),
        ([[0.1, 0.2], [-math.inf, 0.1]], 2, EmbeddingReplyError, "NaN or infinite"),
        ([[math.nan, 0.1]], None, EmbeddingReplyError, "NaN or infinite"),
    ],
)
def test_bad_vectors_are_rejected(vectors, dimensions, error, message):
    with pytest.raises(error, match=message):
        check_vectors(vectors, dimensions)


def test_every_batch_is_asked_of_the_same_model_and_width_within_the_deadline():
    def answer(kwargs):
        return SimpleNamespace(data=[SimpleNamespace(index=0, embedding=[0.5] * 4)], usage=None)

    client = FakeClient(answer=answer)
    embed_all(client, "qwen/emb", [[Piece(n, f"t{n}", 1)] for n in range(3)], 4, Deadline.start(60))
    assert sorted(call["input"][0] for call in client.calls) == ["t0", "t1", "t2"]
    assert all(call["model"] == "qwen/emb" and call["dimensions"] == 4 for call in client.calls)
    assert all(t is not None and 0 < t.read <= 60 for t in client.timeouts), client.timeouts


def test_a_server_that_ignores_the_asked_width_is_caught_across_batches():
    def answer(kwargs):
        return SimpleNamespace(data=[SimpleNamespace(index=0, embedding=[0.5] * 8)], usage=None)

    batches = [[Piece(0, "t0", 1)], [Piece(1, "t1", 1)]]
    with pytest.raises(DimensionMismatchError, match="asked for 4 dimensions, got 8"):
        embed_all(FakeClient(answer=answer), "m", batches, 4, Deadline.start(60))


def test_the_non_finite_message_is_exactly_what_the_user_reads():
    with pytest.raises(EmbeddingReplyError) as raised:
        check_vectors([[math.nan]], None)
    assert str(raised.value) == "it returned a vector with NaN or infinite values"
