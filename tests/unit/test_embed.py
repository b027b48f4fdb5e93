"""embed.py: one batch's reply put in order and checked, batches run concurrently and bounded."""

from __future__ import annotations

import base64
import math
import struct
import threading
import time

import pytest

from models.text_embedding.batching import Piece
from models.text_embedding.embed import (
    MAX_CONCURRENT_REQUESTS,
    check_vectors,
    embed_all,
    embed_batch,
    vector_of,
    vectors_of_reply,
)
from provider.deadline import Deadline
from provider.errors.tree import DimensionMismatchError, EmbeddingReplyError, UpstreamError


def reply(rows, usage=None) -> dict:
    """An OpenAI-style embeddings reply: (index or None, embedding) per row."""
    data = [{"object": "embedding", "embedding": vector} | ({} if i is None else {"index": i}) for i, vector in rows]
    return {"object": "list", "data": data} | ({} if usage is None else {"usage": usage})


class FakeClient:
    """`client.call("/embeddings", ...)` answering fixed rows, recording every request body."""

    def __init__(self, rows=None, usage=None, answer=None):
        self.calls: list[dict] = []
        self.timeouts: list = []
        self.rows, self.usage, self.answer = rows, usage, answer

    def call(self, path, body, timeout, method="POST"):
        assert (method, path) == ("POST", "/embeddings")
        self.timeouts.append(timeout)  # every call is bounded
        self.calls.append(body)
        if self.answer:
            return self.answer(body)
        return reply(self.rows, self.usage)


BATCH = [Piece(0, "a", 3), Piece(1, "b", 4)]


def test_rows_are_put_back_in_input_order():
    client = FakeClient([(1, [0.0, 1.0]), (0, [1.0, 0.0])])
    result = embed_batch(client, "m", BATCH, None, Deadline.start(60))
    assert result.vectors == [[1.0, 0.0], [0.0, 1.0]]
    assert client.calls == [{"model": "m", "input": ["a", "b"], "encoding_format": "base64"}], (
        "no dimensions unless the form sets them"
    )


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
        ({"total_tokens": 12, "prompt_tokens": 11}, 12),
        ({"total_tokens": 0, "prompt_tokens": 11}, 11),
        ({"total_tokens": None, "prompt_tokens": None}, 7),
        ({"total_tokens": 0, "prompt_tokens": 0}, 7),
        ({"total_tokens": 1}, 1),
        (None, 7),
    ],
    ids=["total", "prompt", "nones", "zeros", "one", "absent"],
)
def test_the_servers_usage_wins_else_our_own_count(usage, tokens):
    assert (
        embed_batch(FakeClient([(0, [1.0]), (1, [1.0])], usage), "m", BATCH, None, Deadline.start(60)).tokens == tokens
    )


def vector_for(text: str) -> list[float]:
    return [float(len(text)), float(ord(text[0]))]


def test_all_batches_come_back_in_order_with_tokens_summed():
    def answer(kwargs):
        # Later batches answer first, so completion order differs from input order.
        time.sleep(0.02 * (6 - int(kwargs["input"][0][1:])))
        rows = [(i, vector_for(t)) for i, t in enumerate(kwargs["input"])]
        return reply(rows, {"total_tokens": 10, "prompt_tokens": 10})

    batches = [[Piece(n, f"t{n}", 1)] for n in range(6)]
    vectors, tokens = embed_all(FakeClient(answer=answer), "m", batches, None, Deadline.start(60))
    assert vectors == [vector_for(f"t{n}") for n in range(6)]
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
        return reply([(0, [1.0])])

    embed_all(FakeClient(answer=answer), "m", [[Piece(n, "x", 1)] for n in range(10)], None, Deadline.start(60))
    assert state["most"] == MAX_CONCURRENT_REQUESTS == 4


def test_one_failed_batch_fails_the_call():
    def answer(kwargs):
        if kwargs["input"] == ["t3"]:
            raise RuntimeError("node lost")
        return reply([(0, [1.0])])

    with pytest.raises(RuntimeError, match="node lost"):
        embed_all(FakeClient(answer=answer), "m", [[Piece(n, f"t{n}", 1)] for n in range(5)], None, Deadline.start(60))


def test_all_vectors_are_checked_together():
    def answer(kwargs):
        size = 2 if kwargs["input"] == ["t0"] else 3
        return reply([(0, [0.5] * size)])

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
        return reply([(0, [0.5] * 4)])

    client = FakeClient(answer=answer)
    embed_all(client, "qwen/emb", [[Piece(n, f"t{n}", 1)] for n in range(3)], 4, Deadline.start(60))
    assert sorted(call["input"][0] for call in client.calls) == ["t0", "t1", "t2"]
    assert all(call["model"] == "qwen/emb" and call["dimensions"] == 4 for call in client.calls)
    assert all(t is not None and 0 < t.read <= 60 for t in client.timeouts), client.timeouts


def test_a_server_that_ignores_the_asked_width_is_caught_across_batches():
    def answer(kwargs):
        return reply([(0, [0.5] * 8)])

    batches = [[Piece(0, "t0", 1)], [Piece(1, "t1", 1)]]
    with pytest.raises(DimensionMismatchError, match="asked for 4 dimensions, got 8"):
        embed_all(FakeClient(answer=answer), "m", batches, 4, Deadline.start(60))


def test_the_non_finite_message_is_exactly_what_the_user_reads():
    with pytest.raises(EmbeddingReplyError) as raised:
        check_vectors([[math.nan]], None)
    assert str(raised.value) == "it returned a vector with NaN or infinite values"


# --- the reply's rows ----------------------------------------------------------------------
def float32_base64(values: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()


def test_base64_float32_rows_are_decoded_to_the_same_floats():
    values = [0.1, -0.25, 3.0e-7, 1.5]
    assert vector_of(float32_base64(values)) == [struct.unpack("<f", struct.pack("<f", v))[0] for v in values]


def test_json_number_rows_pass_through_as_floats():
    assert vector_of([1, 0.5, -2]) == [1.0, 0.5, -2.0]


@pytest.mark.parametrize(
    ("embedding", "message"),
    [
        (base64.b64encode(b"abc").decode(), "not float32"),
        ("abc", "not base64"),  # padding missing
        (None, "neither numbers nor base64"),
        (["0.5", 1.0], "neither numbers nor base64"),
        ([True, 1.0], "neither numbers nor base64"),
        ({"values": [1.0]}, "neither numbers nor base64"),
    ],
)
def test_an_unreadable_embedding_is_the_servers_fault(embedding, message):
    with pytest.raises(EmbeddingReplyError, match=message):
        vector_of(embedding)


@pytest.mark.parametrize(
    "answer",
    [[], "ok", {"data": None}, {"data": {"0": [1.0]}}, {"data": [[1.0]]}],
    ids=["list", "text", "null data", "data object", "bare vectors"],
)
def test_a_reply_without_a_list_of_rows_is_rejected(answer):
    with pytest.raises(EmbeddingReplyError, match="no list of embeddings"):
        vectors_of_reply(answer, 1)


def test_an_error_inside_a_200_reply_keeps_its_code_and_words():
    with pytest.raises(UpstreamError) as raised:
        vectors_of_reply({"code": 402, "msg": "insufficient balance", "request_id": "r-1"}, 1)
    assert (raised.value.status, raised.value.message, raised.value.request_id) == (402, "insufficient balance", "r-1")


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"data": [{"embedding": "abc"}]}, "it returned an embedding that is not base64"),
        (
            {"data": [{"embedding": base64.b64encode(b"abc").decode()}]},
            "it returned a base64 embedding that is not float32",
        ),
        ({"data": [{"embedding": None}]}, "it returned an embedding that is neither numbers nor base64"),
        ({"data": "none"}, "its reply has no list of embeddings"),
    ],
    ids=["not base64", "not float32", "neither", "no rows"],
)
def test_an_unreadable_reply_is_described_exactly_as_the_user_reads_it(answer, message):
    with pytest.raises(EmbeddingReplyError) as raised:
        vectors_of_reply(answer, 1)
    assert str(raised.value) == message
