"""The error table: AtlasCloud statuses and transport failures -> Dify error classes."""

from __future__ import annotations

import httpx2
import openai
import pytest
from dify_plugin.errors.model import (
    InvokeAuthorizationError,
    InvokeBadRequestError,
    InvokeConnectionError,
    InvokeRateLimitError,
    InvokeServerUnavailableError,
)

from provider.connection import Connection
from provider.errors import map_stream_errors, to_invoke_error

REQUEST = httpx2.Request("POST", "https://api.atlascloud.ai/v1/chat/completions")


def status_error(status: int, body: dict) -> openai.APIStatusError:
    response = httpx2.Response(status, json=body, request=REQUEST, headers={"x-request-id": "hdr-id"})
    return openai.OpenAI(api_key="k", base_url="http://x")._make_status_error_from_response(response)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, InvokeAuthorizationError),
        (402, InvokeAuthorizationError),
        (403, InvokeAuthorizationError),
        (400, InvokeBadRequestError),
        (404, InvokeBadRequestError),
        (413, InvokeBadRequestError),
        (422, InvokeBadRequestError),
        (451, InvokeBadRequestError),
        (429, InvokeRateLimitError),
        (500, InvokeServerUnavailableError),
        (503, InvokeServerUnavailableError),
    ],
)
def test_status_mapping_keeps_atlascloud_message_and_request_id(status, expected):
    error = to_invoke_error(status_error(status, {"code": status, "msg": "the reason", "request_id": "rid-1"}))
    assert type(error) is expected
    assert "the reason" in error.description and "rid-1" in error.description


def test_openai_shaped_envelope_and_header_request_id():
    error = to_invoke_error(status_error(401, {"error": {"message": "Invalid API key"}}))
    assert "Invalid API key" in error.description and "hdr-id" in error.description


def test_transport_failures_are_connection_errors():
    assert type(to_invoke_error(openai.APITimeoutError(REQUEST))) is InvokeConnectionError
    assert type(to_invoke_error(openai.APIConnectionError(request=REQUEST))) is InvokeConnectionError
    assert type(to_invoke_error(httpx2.RemoteProtocolError("peer closed"))) is InvokeConnectionError


def test_secret_is_redacted():
    connection = Connection("https://api.atlascloud.ai/v1", "my-secret-key-123")
    error = to_invoke_error(InvokeBadRequestError("bad key my-secret-key-123 in header"), connection)
    assert "my-secret-key-123" not in error.description


def test_errors_while_iterating_a_stream_are_mapped():
    def broken():
        yield 1
        raise httpx2.ReadError("connection reset")

    closed = []
    stream = map_stream_errors(broken(), None, on_close=lambda: closed.append(True))
    assert next(stream) == 1
    with pytest.raises(InvokeConnectionError):
        next(stream)
    assert closed == [True]
