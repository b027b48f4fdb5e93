"""The exact sentences users see for each kind of failure, who they name, and what they never show."""

from __future__ import annotations

import logging

import httpx
import pytest
from dify_plugin.errors.model import (
    InvokeBadRequestError,
    InvokeConnectionError,
    InvokeRateLimitError,
    InvokeServerUnavailableError,
)

from provider.connection import Connection
from provider.errors.bodies import readable
from provider.errors.mapping import error_for_status, map_stream_errors, to_invoke_error, validation_failed
from provider.errors.tree import BudgetExceeded, EndpointError, ReplyError, StatusError, UpstreamError, status_of_code
from provider.errors.wording import sentence
from tests.unit import fakes

# A key that does not look like one: only the explicit redaction of the configured key can hide it.
GATEWAY = Connection("https://llm.corp.example/v1", "corpsecret0123456789")


def status_error(status: int, content: bytes = b"", headers: dict | None = None) -> StatusError:
    return fakes.status_error(status, content=content, headers=headers)


def described(error: BaseException, connection: Connection | None = None) -> tuple[type, str]:
    mapped = to_invoke_error(error, connection)
    return type(mapped), mapped.description


def test_an_empty_5xx_body_falls_back_to_the_reason_phrase_then_to_no_details():
    assert described(status_error(502)) == (
        InvokeServerUnavailableError,
        "AtlasCloud answered HTTP 502: Bad Gateway. The service is unavailable; retry later.",
    )
    assert described(status_error(599)) == (
        InvokeServerUnavailableError,
        "AtlasCloud answered HTTP 599: no details. The service is unavailable; retry later.",
    )


def test_the_request_id_header_is_quoted_when_the_body_has_none():
    error = status_error(429, b'{"msg": "slow down"}', {"x-request-id": "req-42"})
    assert described(error) == (
        InvokeRateLimitError,
        "AtlasCloud answered HTTP 429: slow down. The rate limit for this account and model was reached; "
        "retry later. (request id: req-42)",
    )


def test_an_error_inside_a_reply_names_the_gateway_and_its_code():
    assert described(UpstreamError(409, "conflict", "r-1"), GATEWAY) == (
        InvokeBadRequestError,
        "The endpoint llm.corp.example reported an error in its reply (code 409): conflict. (request id: r-1)",
    )
    assert described(UpstreamError("", "overloaded")) == (
        InvokeServerUnavailableError,
        "AtlasCloud reported an error in its reply: overloaded. The service is unavailable; retry later.",
    )


def test_unreadable_replies_budget_and_network_failures_in_words():
    assert described(ReplyError("it sent garbage"), GATEWAY) == (
        InvokeServerUnavailableError,
        "The endpoint llm.corp.example sent a reply the plugin cannot read: it sent garbage.",
    )
    assert described(BudgetExceeded("AtlasCloud did not finish within 570 s.")) == (
        InvokeConnectionError,
        "AtlasCloud did not finish within 570 s.",
    )
    assert described(httpx.ReadTimeout("slow"), GATEWAY) == (
        InvokeConnectionError,
        "The endpoint llm.corp.example did not answer in time (timeout); retry, or check the network.",
    )
    assert described(httpx.ConnectError("refused")) == (
        InvokeConnectionError,
        "Could not reach AtlasCloud, or the connection dropped; retry, or check the network.",
    )


def test_the_users_own_mistake_is_a_bad_request_in_its_own_words():
    assert described(EndpointError("The endpoint URL is not valid.")) == (
        InvokeBadRequestError,
        "The endpoint URL is not valid.",
    )


def test_a_plugin_bug_is_logged_with_key_shaped_text_redacted_and_shown_as_a_sentence(caplog):
    with caplog.at_level(logging.ERROR, logger="provider.errors"):
        mapped = described(KeyError("choices apikey-abcdefgh123"), GATEWAY)
    assert mapped == (
        InvokeServerUnavailableError,
        "The AtlasCloud plugin failed unexpectedly while talking to the endpoint llm.corp.example; "
        "retry, or see the plugin log.",
    )
    assert [r.getMessage() for r in caplog.records] == [
        "unexpected failure while talking to the endpoint llm.corp.example: KeyError('choices ***')"
    ]


def test_the_configured_key_of_any_shape_never_reaches_the_plugin_log(caplog):
    with caplog.at_level(logging.ERROR, logger="provider.errors"):
        to_invoke_error(KeyError(f"choices {GATEWAY.api_key}"), GATEWAY)
    assert GATEWAY.api_key not in caplog.text


def test_a_stream_failing_midway_names_the_gateway_and_hides_its_key():
    def broken():
        yield "text"
        raise UpstreamError(400, f"key {GATEWAY.api_key} refused")

    stream = map_stream_errors(broken(), GATEWAY)
    assert next(stream) == "text"
    with pytest.raises(InvokeBadRequestError) as raised:
        next(stream)
    assert (
        raised.value.description
        == "The endpoint llm.corp.example reported an error in its reply (code 400): key *** refused."
    )


def test_a_validation_failure_names_the_gateway_and_hides_its_key():
    failed = validation_failed(UpstreamError(401, f"bad key {GATEWAY.api_key}"), GATEWAY, "Credentials check failed")
    assert str(failed) == (
        "Credentials check failed: The endpoint llm.corp.example reported an error in its reply (code 401): "
        "bad key ***. The API key is missing, wrong or expired; create a new one at "
        "https://www.atlascloud.ai/console/api-keys."
    )


def test_messages_are_clipped_at_400_characters():
    assert readable("a" * 400) == "a" * 400
    assert readable("a" * 401) == "a" * 397 + "..."


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (b"bad \xff byte", "bad \ufffd byte"),
        ({"error_description": "invalid_token"}, "invalid_token"),
        ({"error": {"error_description": "expired"}}, "expired"),
        ("limit > 10 &amp; retry", "limit > 10 &amp; retry"),  # not a page: kept as it is
    ],
)
def test_readable_handles_bytes_oauth_bodies_and_plain_text(body, text):
    assert readable(body) == text


def test_a_message_ending_in_an_exclamation_mark_gets_no_full_stop():
    assert sentence("Slow down!") == "Slow down!"
    assert error_for_status(429, "Slow down!", None).description.startswith("AtlasCloud answered HTTP 429: Slow down! ")


@pytest.mark.parametrize(("code", "status"), [(599, 599), ("600", 500), (400, 400), (399, 500)])
def test_only_http_error_statuses_count_as_statuses(code, status):
    assert status_of_code(code) == status
