"""The stream reader on event shapes real servers send: error events, keep-alives, an unterminated
last event, and whole bodies that cannot be read (each with its sentence)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from models.llm.upstream import ChatStream, pieces_of_whole_body
from provider.deadline import Deadline
from provider.errors.tree import ReplyError, UpstreamError


def event(content: str) -> bytes:
    return f"data: {json.dumps({'choices': [{'index': 0, 'delta': {'content': content}}]})}\n\n".encode()


def sse(*parts: bytes) -> httpx.Response:
    def stream() -> Iterator[bytes]:
        yield from parts

    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=stream())


def read(*parts: bytes) -> list[str]:
    return [p.content for batch in ChatStream(sse(*parts), Deadline.start(10)).batches() for p in batch]


def upstream_error(*parts: bytes) -> UpstreamError:
    with pytest.raises(UpstreamError) as raised:
        read(*parts)
    return raised.value


def test_empty_and_null_events_are_keep_alives_whatever_their_name():
    assert read(b"data:\n\n", b"event: error\ndata: null\n\n", event("x"), b"data: [DONE]\n\n") == ["x"]


def test_an_error_event_with_openai_fields_keeps_its_code_and_message():
    error = upstream_error(event("a"), b'event: error\ndata: {"message": "overloaded", "code": 503}\n\n')
    assert (error.code, error.message, error.status) == (503, "overloaded", 503)


def test_an_error_event_without_a_code_is_classified_by_its_type():
    error = upstream_error(b'event: error\ndata: {"type": "rate_limit_error", "message": "slow down"}\n\n')
    assert (error.code, error.message, error.status) == ("rate_limit_error", "slow down", 429)
    blank = upstream_error(b'event: error\ndata: {"code": "", "type": "overloaded_error", "message": "x"}\n\n')
    assert blank.code == "overloaded_error"


def test_an_error_event_in_atlasclouds_envelope_keeps_the_request_id():
    error = upstream_error(b'event: error\ndata: {"code": 429, "msg": "busy", "request_id": "r-7"}\n\n')
    assert (error.code, error.message, error.request_id) == (429, "busy", "r-7")


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"upstream  overloaded ", "upstream overloaded"), (b"{}", "no details"), (b"[1, 2]", "no details")],
)
def test_an_error_event_that_is_plain_text_or_empty_is_still_an_error(data, message):
    error = upstream_error(b"event: error\ndata: " + data + b"\n\n")
    assert (error.code, error.message) == (None, message)


def test_llama_cpp_error_lines_mid_stream_raise_after_the_text_before_them():
    stream = ChatStream(sse(event("partial"), b'error: {"code": 500, "message": "slot lost"}\n\n'), Deadline.start(10))
    seen = []
    with pytest.raises(UpstreamError) as raised:
        for batch in stream.batches():
            seen += [p.content for p in batch]
    assert seen == ["partial"] and raised.value.message == "slot lost"


def test_a_last_event_without_its_blank_line_is_delivered_and_a_last_done_is_not_data():
    assert read(event("a"), b'data: {"choices":[{"delta":{"content":"end"}}]}') == ["a", "end"]
    assert read(event("a"), b"data: [DONE]") == ["a"]


def test_an_error_as_the_last_unterminated_event_is_raised():
    error = upstream_error(event("a"), b'event: error\ndata: {"message": "late", "code": 502}')
    assert (error.code, error.message) == (502, "late")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "its reply was empty"),
        (b" \n ", "its reply was empty"),
        (b"\xff\xfe{}", "its reply is not UTF-8 text"),
        (b"null", "its reply holds no completion"),
        (b"Internal error", "its reply is not valid JSON (Internal error)"),
        (b"<html><title>502 Bad Gateway</title></html>", "its reply is not valid JSON (502 Bad Gateway)"),
    ],
)
def test_unreadable_whole_replies_say_what_was_wrong(body, message):
    with pytest.raises(ReplyError) as raised:
        pieces_of_whole_body(body)
    assert str(raised.value) == message


def test_only_the_start_of_a_long_unreadable_reply_is_quoted():
    body = ("word " * 100).encode()
    with pytest.raises(ReplyError) as raised:
        pieces_of_whole_body(body)
    assert str(raised.value) == f"its reply is not valid JSON ({' '.join(['word'] * 40)})"


def test_a_page_flagged_as_html_is_named_by_its_title():
    with pytest.raises(ReplyError) as raised:
        pieces_of_whole_body(b"<html><title>Just a moment...</title></html>", "html")
    assert str(raised.value) == "it answered with a web page instead of a completion (Just a moment...)"


@pytest.mark.parametrize("start", [b": keep-alive\n\n", b"event: message\n"])
def test_a_whole_sse_reply_may_start_with_a_comment_or_an_event_name(start):
    body = start + event("x") + b"data: [DONE]\n\n"
    assert [p.content for p in pieces_of_whole_body(body)] == ["x"]


def test_an_error_event_in_a_whole_sse_reply_is_raised():
    with pytest.raises(UpstreamError) as raised:
        pieces_of_whole_body(event("x") + b'event: error\ndata: {"message": "quota", "code": "insufficient_quota"}\n\n')
    assert raised.value.status == 402


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        ({"choices": [{"finish_reason": "stop"}]}, "finish_reason 'stop'"),
        ({"choices": {"finish_reason": "length"}}, "finish_reason 'length'"),  # a single choice, not in a list
        ({"choices": [{}]}, "no finish_reason"),
    ],
)
def test_a_whole_completion_without_a_message_is_refused_saying_how_it_ended(payload, why):
    with pytest.raises(ReplyError) as refused:
        pieces_of_whole_body(json.dumps(payload).encode())
    assert str(refused.value) == f"its reply could not be read: the completion has no message ({why})"


def test_whole_completions_without_a_message_object_are_still_read_when_they_carry_something():
    (legacy,) = pieces_of_whole_body(b'{"choices": [{"text": "hi", "finish_reason": "stop"}]}')
    assert (legacy.content, legacy.finish_reason) == ("hi", "stop")
    (usage_only,) = pieces_of_whole_body(b'{"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 0}}')
    assert usage_only.usage == (3, 0)
    with pytest.raises(UpstreamError, match="overloaded"):
        pieces_of_whole_body(b'{"error": {"message": "overloaded"}, "choices": [{"finish_reason": "stop"}]}')
