"""The replay server itself: exact bytes, the four endings, routing by mode, request records."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from testkit.replay_server import ReplayServer, Reply, body_pieces
from tests.replay.corpus import BY_NAME

SSE = b'data: {"a":1}\n\ndata: {"b":"\xc3\xa9"}\r\n\r\ndata: [DONE]\n\n'


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as replay:
        yield replay


def post(server: ReplayServer, stream: bool) -> httpx.Response:
    with httpx.Client(timeout=5) as client:
        return client.post(f"{server.base_url}/v1/chat/completions", json={"model": "m", "stream": stream})


def test_done_serves_exact_bytes_chunked_per_event_and_routes_by_mode(server: ReplayServer) -> None:
    server.load(stream=Reply(SSE, content_type="text/event-stream"), blocking=Reply(b'{"ok":true}'))
    streamed = post(server, stream=True)
    assert streamed.status_code == 200 and streamed.content == SSE
    assert streamed.headers["transfer-encoding"] == "chunked"
    assert streamed.headers["content-type"] == "text/event-stream"
    blocking = post(server, stream=False)
    assert blocking.content == b'{"ok":true}' and blocking.headers["content-length"] == "11"
    assert [r["json"]["stream"] for r in server.requests] == [True, False]


def test_pieces_split_at_event_boundaries_or_fixed_sizes() -> None:
    assert body_pieces(Reply(SSE, content_type="text/event-stream")) == [
        b'data: {"a":1}\n\n',
        b'data: {"b":"\xc3\xa9"}\r\n\r\n',
        b"data: [DONE]\n\n",
    ]
    assert b"".join(body_pieces(Reply(SSE, chunk_size=5))) == SSE
    assert {len(p) for p in body_pieces(Reply(SSE, chunk_size=5))[:-1]} == {5}


def test_close_ends_the_body_with_a_clean_close(server: ReplayServer) -> None:
    server.load(stream=Reply(SSE, content_type="text/event-stream", ending="close"), blocking=None)
    response = post(server, stream=True)
    assert response.content == SSE
    assert response.headers["connection"] == "close" and "content-length" not in response.headers


@pytest.mark.parametrize("ending", ["drop", "reset"])
def test_drop_and_reset_fail_the_read_after_the_bytes_sent(server: ReplayServer, ending: str) -> None:
    server.load(stream=Reply(SSE, content_type="text/event-stream", ending=ending), blocking=None)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        post(server, stream=True)


def test_other_routes_and_missing_modes_are_404(server: ReplayServer) -> None:
    server.load(stream=None, blocking=None)
    with httpx.Client(timeout=5) as client:
        assert client.get(f"{server.base_url}/v1/models").status_code == 404
    assert post(server, stream=True).status_code == 404


def test_status_and_content_type_are_served_as_given(server: ReplayServer) -> None:
    case = BY_NAME["html_504_nginx_page"]
    server.load(stream=case.reply("stream"), blocking=case.reply("blocking"))
    response = post(server, stream=False)
    assert response.status_code == 504 and response.headers["content-type"] == "text/html"
    assert response.content == case.json


def test_stop_closes_idle_keep_alive_connections() -> None:
    server = ReplayServer().start()
    server.load(stream=None, blocking=Reply(b"{}"))
    idle = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    idle.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
    answer = b""
    while not answer.endswith(b"\r\n\r\n{}"):  # head and body may arrive in separate reads
        piece = idle.recv(65536)
        assert piece, f"connection closed before the whole answer: {answer!r}"
        answer += piece
    assert answer.startswith(b"HTTP/1.1 200 OK")
    server.stop()
    assert idle.recv(65536) == b""  # the server shut the kept-alive connection
    idle.close()
