"""The error choke point: statuses, errors inside replies, unreadable replies, secrets."""

from __future__ import annotations

import httpx
import pytest
from dify_plugin.errors.model import (
    CredentialsValidateFailedError,
    InvokeAuthorizationError,
    InvokeBadRequestError,
    InvokeConnectionError,
    InvokeError,
    InvokeRateLimitError,
    InvokeServerUnavailableError,
)

from provider.connection import Connection
from provider.errors.bodies import readable
from provider.errors.mapping import error_for_status, guard, map_stream_errors, to_invoke_error, validation_failed
from provider.errors.redact import redact
from provider.errors.tree import BudgetExceeded, EndpointError, ReplyError, StatusError, UpstreamError, status_of_code
from provider.errors.wording import sentence
from tests.unit import fakes

ATLAS = Connection("https://api.atlascloud.ai/v1", "apikey-0123456789abcdef")
GATEWAY = Connection("https://llm.corp.example/v1", "sk-gateway-secret-999")


def status_error(status: int, body: object) -> StatusError:
    return fakes.status_error(status, body, headers={"x-request-id": "hdr-id"})


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, InvokeAuthorizationError),
        (402, InvokeRateLimitError),
        (403, InvokeAuthorizationError),
        (400, InvokeBadRequestError),
        (404, InvokeBadRequestError),
        (409, InvokeBadRequestError),
        (413, InvokeBadRequestError),
        (422, InvokeBadRequestError),
        (451, InvokeBadRequestError),
        (429, InvokeRateLimitError),
        (499, InvokeBadRequestError),
        (500, InvokeServerUnavailableError),
        (503, InvokeServerUnavailableError),
        (504, InvokeServerUnavailableError),
    ],
)
def test_status_mapping_keeps_atlascloud_message_and_request_id(status, expected):
    error = to_invoke_error(status_error(status, {"code": status, "msg": "the reason", "request_id": "rid-1"}), ATLAS)
    assert type(error) is expected
    assert error.description.startswith(f"AtlasCloud answered HTTP {status}: the reason.")
    assert error.description.endswith("(request id: rid-1)")


def test_advice_says_what_to_do():
    assert "top up at https://www.atlascloud.ai/console/billing" in error_for_status(402, "no money", None).description
    assert "api-keys" in error_for_status(401, "bad", None).description
    assert "50 MB" in error_for_status(413, "big", None).description
    assert error_for_status(418, "teapot", None).description == "AtlasCloud answered HTTP 418: teapot."


def test_openai_shaped_envelope_and_header_request_id_and_a_gateways_name():
    error = to_invoke_error(status_error(401, {"error": {"message": "Invalid API key"}}), GATEWAY)
    assert error.description.startswith("The endpoint llm.corp.example answered HTTP 401: Invalid API key.")
    assert "hdr-id" in error.description


def test_punctuation_is_not_doubled():
    assert sentence("Done.") == "Done." and sentence(" done ") == "done." and sentence("why?") == "why?"
    assert ".." not in error_for_status(400, "Bad input.", None).description


def test_an_html_error_page_becomes_its_title():
    page = "<html><head><title>502 Bad Gateway</title></head><body><h1>cloudflare</h1>" + "x" * 5000 + "</body>"
    error = to_invoke_error(status_error(502, page), ATLAS)
    assert type(error) is InvokeServerUnavailableError
    assert "502 Bad Gateway" in error.description and "<" not in error.description and len(error.description) < 300


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"msg": " spaced  words "}, "spaced words"),
        ({"error": {"message": "nested"}}, "nested"),
        ({"detail": "fastapi style"}, "fastapi style"),
        ({"error": "plain"}, "plain"),
        (b"bytes body", "bytes body"),
        ("<p>para &amp; more</p>", "para & more"),
        ({"code": 1}, None),
        ("   ", None),
        (None, None),
    ],
)
def test_readable_finds_the_human_message(body, text):
    assert readable(body) == text


def test_long_messages_are_clipped():
    assert len(readable("w " * 1000)) == 400


@pytest.mark.parametrize(
    ("code", "status"),
    [(429, 429), ("429", 429), (" 400 ", 400), ("rate_limit_exceeded", 429), ("invalid_request_error", 400),
     ("insufficient_quota", 402), ("model_not_found", 404), (200, 500), (99, 500), ("weird", 500), (None, 500)],
)  # fmt: skip
def test_codes_inside_replies_map_to_the_status_they_stand_for(code, status):
    assert status_of_code(code) == status


def test_an_error_inside_a_200_never_claims_an_http_status():
    error = to_invoke_error(UpstreamError(429, "Rate limit reached", "r-9"), ATLAS)
    assert type(error) is InvokeRateLimitError
    assert error.description.startswith("AtlasCloud reported an error in its reply (code 429): Rate limit reached.")
    assert "HTTP" not in error.description and error.description.endswith("(request id: r-9)")
    unknown = to_invoke_error(UpstreamError(None, "boom"), ATLAS)
    assert type(unknown) is InvokeServerUnavailableError and "(code" not in unknown.description


def test_unreadable_replies_and_the_budget_and_transport_failures():
    assert type(to_invoke_error(ReplyError("it sent garbage"), ATLAS)) is InvokeServerUnavailableError
    assert type(to_invoke_error(BudgetExceeded("too slow"), ATLAS)) is InvokeConnectionError
    assert type(to_invoke_error(httpx.ConnectTimeout("slow"), ATLAS)) is InvokeConnectionError
    assert type(to_invoke_error(httpx.ConnectError("refused"), ATLAS)) is InvokeConnectionError
    assert type(to_invoke_error(httpx.RemoteProtocolError("peer closed"), ATLAS)) is InvokeConnectionError
    assert type(to_invoke_error(httpx.ReadTimeout("slow"), ATLAS)) is InvokeConnectionError


def test_only_the_users_input_is_a_bad_request_and_bugs_never_show_class_names():
    assert type(to_invoke_error(EndpointError("fix the URL"), ATLAS)) is InvokeBadRequestError
    for bug in (ValueError("Expecting value: line 1"), TypeError("'NoneType' object"), KeyError("choices")):
        mapped = to_invoke_error(bug, ATLAS)
        assert type(mapped) is InvokeServerUnavailableError, bug
        assert "Error" not in mapped.description and "NoneType" not in mapped.description
    assert type(to_invoke_error(InvokeError("base class"), ATLAS)) is InvokeServerUnavailableError


def test_secrets_are_removed_from_every_message():
    text = (
        f"key {ATLAS.api_key} and Bearer sk-other-1234567890 and apikey-zzzzzzzzzz "
        "and https://user:pw@host/path and BEARER abcdefghijkl"
    )
    cleaned = redact(text, (ATLAS.api_key,))
    for secret in (ATLAS.api_key, "sk-other-1234567890", "apikey-zzzzzzzzzz", "user:pw", "abcdefghijkl"):
        assert secret not in cleaned
    assert "https://***@host/path" in cleaned
    assert redact("a normal sentence about tasks-and-keys") == "a normal sentence about tasks-and-keys"
    mapped = to_invoke_error(InvokeBadRequestError(f"echo {GATEWAY.api_key}"), GATEWAY)
    assert GATEWAY.api_key not in mapped.description and "***" in mapped.description


def test_guard_maps_redacts_and_chains_nothing():
    with pytest.raises(InvokeBadRequestError) as raised, guard(ATLAS):
        raise status_error(400, {"msg": f"bad {ATLAS.api_key}"})
    assert ATLAS.api_key not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_errors_while_iterating_a_stream_are_mapped_and_the_stream_closed():
    def broken():
        yield 1
        raise httpx.ReadError("connection reset")

    closed = []
    stream = map_stream_errors(broken(), ATLAS, on_close=lambda: closed.append(True))
    assert next(stream) == 1
    with pytest.raises(InvokeConnectionError) as raised:
        next(stream)
    assert closed == [True] and raised.value.__suppress_context__


def test_validation_failures_keep_the_users_words_or_prefix_the_mapped_error():
    own = validation_failed(EndpointError("The endpoint URL is not valid."), ATLAS, "Check")
    assert type(own) is CredentialsValidateFailedError and str(own) == "The endpoint URL is not valid."
    upstream = validation_failed(status_error(401, {"msg": f"no {ATLAS.api_key}"}), ATLAS, "Model 'm'")
    assert str(upstream).startswith("Model 'm': AtlasCloud answered HTTP 401: no ***.")
