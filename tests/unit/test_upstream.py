"""The stream reader: coalescing what is waiting, never waiting for more, and whole replies."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from models.llm.upstream import ChatStream, pieces_of_whole_body
from provider.deadline import Deadline
from provider.errors.tree import BudgetExceeded, ReplyError, UpstreamError


def event(content: str = "", finish: str | None = None) -> bytes:
    chunk = {"choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}]}
    return f"data: {json.dumps(chunk)}\n\n".encode()


class FakeResponse:
    """Pieces of a body, each after a pause (seconds); an exception in the list is raised there."""

    def __init__(
        self, pieces: list[bytes | BaseException], pause: float = 0.0, content_type: str = "text/event-stream"
    ):
        self.pieces = pieces
        self.pause = pause
        self.headers = {"content-type": content_type}
        self.closed = False

    def iter_bytes(self) -> Iterator[bytes]:
        for piece in self.pieces:
            if self.pause:
                time.sleep(self.pause)
            if isinstance(piece, BaseException):
                raise piece
            yield piece

    def close(self) -> None:
        self.closed = True


def contents(batches) -> list[list[str]]:
    return [[piece.content for piece in batch] for batch in batches]


def test_everything_already_waiting_is_one_batch():
    body = b"".join(event(str(n)) for n in range(500)) + b"data: [DONE]\n\n"
    response = FakeResponse([body[i : i + 4096] for i in range(0, len(body), 4096)])
    batches = contents(ChatStream(response, Deadline.start(10)).batches())
    assert [c for batch in batches for c in batch] == [str(n) for n in range(500)]
    assert len(batches) < 20, "a fast upstream is coalesced, not one batch per delta"
    assert response.closed


def test_a_slow_upstream_gives_one_batch_per_delta_as_it_arrives():
    response = FakeResponse([event("a"), event("b"), event("c")], pause=0.02)
    stream = ChatStream(response, Deadline.start(10))
    started = time.monotonic()
    first = next(iter(stream.batches()))
    assert first[0].content == "a" and time.monotonic() - started < 0.5
    assert contents(ChatStream(FakeResponse([event("a"), event("b")], pause=0.02), Deadline.start(10)).batches()) == [
        ["a"],
        ["b"],
    ]


def test_text_before_a_dropped_connection_is_delivered_then_the_error():
    dropped = httpx.RemoteProtocolError("incomplete chunked read")
    stream = ChatStream(FakeResponse([event("partial"), dropped], pause=0.01), Deadline.start(10))
    seen = []
    with pytest.raises(httpx.RemoteProtocolError):
        for batch in stream.batches():
            seen += [p.content for p in batch]
    assert seen == ["partial"]


def test_a_stalled_upstream_ends_at_the_deadline():
    stream = ChatStream(FakeResponse([event("a"), event("never")], pause=0.6), Deadline.start(0.3))
    with pytest.raises(BudgetExceeded):
        list(stream.batches())
    stream.close()


def test_done_stops_reading_and_keepalives_are_skipped():
    body = b": ping\n\ndata: null\n\n" + event("x") + b"data: [DONE]\n\n" + event("after done")
    assert contents(ChatStream(FakeResponse([body]), Deadline.start(10)).batches()) == [["x"]]


def test_an_error_event_mid_stream_raises_with_its_own_code():
    body = event("a") + b'data: {"error": {"message": "slow down", "code": 429}}\n\n'
    with pytest.raises(UpstreamError) as raised:
        list(ChatStream(FakeResponse([body]), Deadline.start(10)).batches())
    assert raised.value.status == 429


def test_a_json_reply_to_a_stream_request_is_read_whole():
    completion = {"choices": [{"message": {"content": "whole"}, "finish_reason": "stop"}]}
    response = FakeResponse([json.dumps(completion).encode()], content_type="application/json")
    assert contents(ChatStream(response, Deadline.start(10)).batches()) == [["whole"]]


def test_whole_bodies_in_every_form():
    assert [p.content for p in pieces_of_whole_body(b'{"choices":[{"message":{"content":"j"}}]}')] == ["j"]
    sse = event("s1") + event("s2") + b"data: [DONE]\n\n"
    assert [p.content for p in pieces_of_whole_body(sse)] == ["s1", "s2"]
    with pytest.raises(UpstreamError):
        pieces_of_whole_body(b'{"error": {"message": "nope", "code": 400}}')


@pytest.mark.parametrize(
    ("body", "kind", "words"),
    [
        (b"", "json", "empty"),
        (b'{"choices": [{"message": {"content": "cut', "json", "not valid JSON"),
        (b"\xff\xfe", "json", "not UTF-8"),
        (b"<html><title>502 Bad Gateway</title></html>", "html", "502 Bad Gateway"),
        (b"null", "json", "no completion"),
    ],
)
def test_unreadable_whole_bodies_are_the_servers_fault_in_words(body, kind, words):
    with pytest.raises(ReplyError, match=words):
        pieces_of_whole_body(body, kind)
