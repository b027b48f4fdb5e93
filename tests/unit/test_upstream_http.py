"""The chat call over the plugin's HTTP client on an in-memory transport (no socket): the exact request
sent, and blocking replies read whole in every form a server answers with."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from models.llm.upstream import ChatStream, fetch_completion, open_chat
from provider.client import Client
from provider.deadline import Deadline
from provider.errors.tree import ReplyError
from tests.unit.fakes import client_answering

REQUEST = {"model": "qwen/qwen3.5-27b", "messages": [{"role": "user", "content": "hi"}], "stream": False}


def client(answer: httpx.Response, seen: list[httpx.Request] | None = None) -> Client:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return answer

    return client_answering(handler)


def reply(parts: list[bytes], content_type: str) -> httpx.Response:
    def stream() -> Iterator[bytes]:
        yield from parts  # the body arrives in several reads

    return httpx.Response(200, headers={"content-type": content_type}, content=stream())


def completion(content: str) -> bytes:
    return json.dumps({"choices": [{"index": 0, "message": {"content": content}, "finish_reason": "stop"}]}).encode()


def test_the_request_is_sent_as_given_within_the_deadline():
    seen: list[httpx.Request] = []
    response = open_chat(client(reply([completion("x")], "application/json"), seen), REQUEST, Deadline.start(30))
    response.close()
    (request,) = seen
    assert (request.method, str(request.url)) == ("POST", "https://api.atlascloud.ai/v1/chat/completions")
    assert json.loads(request.content) == REQUEST
    assert 0 < request.extensions["timeout"]["read"] <= 30


def test_a_blocking_reply_arriving_in_several_reads_is_one_completion():
    body = completion("Hello, world")
    parts = [body[:10], body[10:25], body[25:]]
    seen: list[httpx.Request] = []
    pieces = fetch_completion(client(reply(parts, "application/json"), seen), REQUEST, Deadline.start(30))
    assert [(p.content, p.finish_reason) for p in pieces] == [("Hello, world", "stop")]
    assert [json.loads(request.content) for request in seen] == [REQUEST]


def test_an_sse_reply_to_a_blocking_request_is_read_as_its_events():
    body = b'data: {"choices":[{"delta":{"content":"a"}}]}\n\ndata: {"choices":[{"delta":{"content":"b"}}]}\n\n'
    pieces = fetch_completion(client(reply([body], "text/event-stream")), REQUEST, Deadline.start(30))
    assert [p.content for p in pieces] == ["a", "b"]


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "TEXT/HTML"])
def test_a_web_page_instead_of_a_completion_is_named_by_its_title(content_type):
    page = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    with pytest.raises(ReplyError) as raised:
        fetch_completion(client(reply([page], content_type)), REQUEST, Deadline.start(30))
    assert str(raised.value) == "it answered with a web page instead of a completion (502 Bad Gateway)"


def stream_contents(response: httpx.Response) -> list[str]:
    return [p.content for batch in ChatStream(response, Deadline.start(10)).batches() for p in batch]


def test_a_pretty_printed_json_reply_to_a_stream_request_is_read_whole():
    body = json.dumps({"choices": [{"message": {"content": "whole"}, "finish_reason": "stop"}]}, indent=2).encode()
    assert stream_contents(reply([body[:20], body[20:]], "application/json; charset=utf-8")) == ["whole"]


def test_a_web_page_answering_a_stream_request_is_the_servers_fault():
    page = b"<html><title>503 Service Unavailable</title></html>"
    with pytest.raises(ReplyError) as raised:
        stream_contents(reply([page], "text/html"))
    assert str(raised.value) == "it answered with a web page instead of a completion (503 Service Unavailable)"


def test_a_stream_without_a_content_type_is_read_as_events():
    body = b'data: {"choices":[{"delta":{"content":"a"}}]}\n\n'
    assert stream_contents(httpx.Response(200, content=iter([body]))) == ["a"]
