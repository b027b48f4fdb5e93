"""provider/client.py: what is sent, what an error status becomes, and replies that are not JSON."""

from __future__ import annotations

import json

import httpx
import pytest

from provider.client import tls_context
from provider.errors.tree import ReplyError, StatusError
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
