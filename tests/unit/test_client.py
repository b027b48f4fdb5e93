"""provider/client.py: what is sent, what an error status becomes, and replies that are not JSON."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import ssl
import subprocess
from pathlib import Path

import httpx
import pytest

from provider.client import Client, tls_context
from provider.errors.tree import ReplyError, StatusError
from testkit import fetch_servers as fs
from tests.unit.fakes import TIMEOUT, client_answering, status_error


def recording(answer: httpx.Response) -> tuple:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer

    return client_answering(handler), seen


def test_paths_join_the_base_url_and_absolute_urls_are_kept():
    client, seen = recording(httpx.Response(200, json={}))
    client.call("/embeddings", {"input": ["é"]}, TIMEOUT)
    client.call("https://api.atlascloud.ai/public/v1/balance", None, TIMEOUT, method="GET")
    assert [(r.method, str(r.url)) for r in seen] == [
        ("POST", "https://api.atlascloud.ai/v1/embeddings"),
        ("GET", "https://api.atlascloud.ai/public/v1/balance"),
    ]
    assert json.loads(seen[0].content) == {"input": ["é"]} and seen[0].headers["content-type"] == "application/json"
    assert seen[1].content == b"" and seen[0].headers["authorization"] == "Bearer k"


def test_each_request_carries_its_own_timeout():
    client, seen = recording(httpx.Response(200, json={}))
    client.call("/models", None, httpx.Timeout(7.0, connect=3.0), method="GET")
    assert seen[0].extensions["timeout"] == {"connect": 3.0, "read": 7.0, "write": 7.0, "pool": 7.0}


def test_an_error_status_is_raised_with_its_json_body_and_the_response_is_closed():
    answer = httpx.Response(402, json={"code": 402, "msg": "insufficient balance", "request_id": "r-7"})
    client, _ = recording(answer)
    with pytest.raises(StatusError) as raised:
        client.open("/chat/completions", {"model": "m"}, TIMEOUT)
    error = raised.value
    assert (error.status, error.body, error.request_id) == (402, answer.json(), "r-7")
    assert answer.is_closed


@pytest.mark.parametrize(
    ("body", "headers", "request_id"),
    [
        ({"error": {"message": "x", "request_id": "inner"}}, {"x-request-id": "hdr"}, "inner"),
        ({"msg": "x", "request_id": ""}, {"x-request-id": "hdr"}, "hdr"),
        ({"msg": "x", "request_id": 7}, {}, None),
        (None, {"X-Request-Id": "hdr"}, "hdr"),
    ],
)
def test_the_request_id_comes_from_the_body_else_the_header(body, headers, request_id):
    assert status_error(500, body, headers=headers).request_id == request_id


def test_a_body_that_is_not_json_is_kept_as_text():
    error = status_error(502, content=b"<html><title>502 Bad Gateway</title></html>")
    assert error.body == "<html><title>502 Bad Gateway</title></html>"
    assert status_error(500, content=b"\xff\xfe oops").body == "\ufffd\ufffd oops"


def test_a_success_that_is_not_json_is_an_unreadable_reply():
    client, _ = recording(httpx.Response(200, content=b"<html>maintenance</html>"))
    with pytest.raises(ReplyError, match=r"not JSON \(HTTP 200\)"):
        client.call("/rerank", {}, TIMEOUT)


def test_open_leaves_a_successful_body_unread_for_the_caller():
    client, _ = recording(httpx.Response(200, content=iter([b"data: 1\n\n", b"data: 2\n\n"])))
    response = client.open("/chat/completions", {}, TIMEOUT)
    assert not response.is_stream_consumed
    assert b"".join(response.iter_bytes()) == b"data: 1\n\ndata: 2\n\n"
    response.close()


def test_one_tls_context_serves_every_client():
    assert tls_context() is tls_context()


def test_a_redirect_is_followed_as_the_openai_client_did():
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path == "/v1/models":
            return httpx.Response(307, headers={"location": "https://api.atlascloud.ai/v2/models"})
        return httpx.Response(200, json={"data": []})

    assert client_answering(handler).call("/models", None, TIMEOUT, method="GET") == {"data": []}
    assert seen == ["https://api.atlascloud.ai/v1/models", "https://api.atlascloud.ai/v2/models"]


def held_open(conn: socket.socket, seen: fs.Seen) -> None:
    """A streamed reply whose body never ends: the connection stays busy until the client closes it."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
    with contextlib.suppress(OSError):
        while conn.recv(4096):
            pass


def test_one_client_holds_more_than_a_hundred_streams_open_at_once():
    """Streams of many users share one key's client: more than httpx's default 100 connections."""
    server = fs.ScriptedServer()
    server.default = held_open
    client = Client(server.url("/v1"), {"Authorization": "Bearer k"})
    opened: list[httpx.Response] = []
    try:
        for _ in range(101):
            opened.append(client.open("/chat/completions", {}, httpx.Timeout(5.0, pool=0.2)))
        assert server.seen.connections == 101
    finally:
        for response in opened:
            response.close()
        server.stop()


def openssl(*args: str) -> str:
    return subprocess.run(["openssl", *args], check=True, capture_output=True, text=True, timeout=60).stdout


@pytest.fixture
def loopback_certificates(tmp_path) -> tuple[Path, Path, Path]:
    """Two self-signed certificates for 127.0.0.1: one (and its key) served, the other not."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    for name in ("served", "other"):
        openssl(
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name} test root",
            "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(tmp_path / f"{name}.key"), "-out", str(tmp_path / f"{name}.pem"),
        )  # fmt: skip
    return tmp_path / "served.pem", tmp_path / "served.key", tmp_path / "other.pem"


def test_the_operators_cert_file_and_cert_dir_are_both_trusted(loopback_certificates, tmp_path, monkeypatch):
    """SSL_CERT_FILE and SSL_CERT_DIR add to the trusted roots (httpx alone would use only the file)."""
    served, key, other = loopback_certificates
    folder = tmp_path / "roots"
    folder.mkdir()
    shutil.copy(served, folder / f"{openssl('x509', '-hash', '-noout', '-in', str(served)).strip()}.0")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(served, key)
    server = fs.ScriptedServer(tls=context)
    server.default = fs.status(200, b"{}")
    monkeypatch.setenv("SSL_CERT_FILE", str(other))
    monkeypatch.setenv("SSL_CERT_DIR", str(folder))
    tls_context.cache_clear()
    try:
        client = Client(f"https://127.0.0.1:{server.port}/v1", {})
        assert client.call("/models", None, TIMEOUT, method="GET") == {}
        assert len(server.seen.request_lines) == 1
    finally:
        tls_context.cache_clear()
        server.stop()
