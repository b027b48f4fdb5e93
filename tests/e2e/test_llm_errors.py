"""Every failure becomes the right Dify error, with an actionable message, and the plugin keeps serving."""

from __future__ import annotations

import time

import pytest

from testkit.plugin_driver import PluginProcess, llm_request

MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"
HELLO = [{"role": "user", "content": "hello"}]


def chat_paths(sim) -> int:
    return len(sim.requests("/v1/chat/completions"))


def assert_still_serving(plugin, creds) -> None:
    assert plugin.alive
    again = plugin.request(llm_request(MODEL, creds, HELLO))
    assert again.ok, again.error


@pytest.mark.parametrize("stream", [True, False])
def test_wrong_key_is_an_authorization_error(plugin, sim, creds, stream):
    bad = {**creds, "api_key": "apikey-wrong-000"}
    result = plugin.request(llm_request(MODEL, bad, HELLO, stream=stream))
    assert result.error_type == "InvokeAuthorizationError"
    assert "401" in result.message and "unauthorized" in result.message
    assert "apikey-wrong-000" not in result.message
    assert_still_serving(plugin, creds)


@pytest.mark.parametrize("stream", [True, False])
def test_insufficient_balance_says_where_to_top_up(plugin, sim, creds, stream):
    sim.inject("status", status=402, message="insufficient balance")
    result = plugin.request(llm_request(MODEL, creds, HELLO, stream=stream))
    # A quota error: Dify replaces every authorization error's text, which would hide the link.
    assert result.error_type == "InvokeRateLimitError"
    assert "balance is insufficient" in result.message
    assert "https://www.atlascloud.ai/console/billing" in result.message
    assert chat_paths(sim) == 1, "402 must not be retried"


@pytest.mark.parametrize("status", [400, 413, 422, 451])
def test_client_errors_carry_atlascloud_message_and_request_id(plugin, sim, creds, status):
    sim.inject("status", status=status, message=f"simulated {status} problem")
    result = plugin.request(llm_request(MODEL, creds, HELLO))
    assert result.error_type == "InvokeBadRequestError"
    assert f"simulated {status} problem" in result.message
    assert "request id: " in result.message
    assert chat_paths(sim) == 1


def test_unknown_model_is_a_bad_request_naming_the_model(plugin, sim, creds):
    result = plugin.request(llm_request("acme/not-a-model", creds, HELLO))
    assert result.error_type == "InvokeBadRequestError"
    assert "acme/not-a-model" in result.message and "case-sensitive" in result.message
    assert_still_serving(plugin, creds)


def test_rate_limit_is_retried_then_succeeds(plugin, sim, creds):
    sim.inject("status", status=429, message="rate limited", times=2)
    result = plugin.request(llm_request(MODEL, creds, HELLO))
    assert result.ok, result.error
    assert chat_paths(sim) == 3


def test_persistent_rate_limit_is_a_rate_limit_error(plugin, sim, creds):
    sim.inject("status", status=429, message="rate limited", times=10)
    result = plugin.request(llm_request(MODEL, creds, HELLO))
    assert result.error_type == "InvokeRateLimitError"
    assert chat_paths(sim) == 3, "two retries, then give up"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_server_unavailable(plugin, sim, creds, status):
    sim.inject("status", status=status, message="upstream down", times=10)
    result = plugin.request(llm_request(MODEL, creds, HELLO, stream=False))
    assert result.error_type == "InvokeServerUnavailableError"
    assert "upstream down" in result.message


def test_dropped_stream_is_a_connection_error(plugin, sim, creds):
    sim.inject("drop")
    result = plugin.request(llm_request(MODEL, creds, HELLO))
    assert result.error_type == "InvokeConnectionError"
    assert_still_serving(plugin, creds)


def test_a_complete_answer_ended_by_done_without_finish_reason_is_kept(plugin, sim, creds):
    # vLLM/SGLang-style servers may end with `[DONE]` and no finish_reason: the answer is complete.
    sim.inject("no_finish")
    result = plugin.request(llm_request(MODEL, creds, HELLO))
    assert result.ok, result.error
    assert result.text().startswith("Hello from the AtlasCloud simulator. You said: hello")
    assert result.finish_reason() == "stop"


def test_error_envelope_inside_a_stream_is_mapped(plugin, sim, creds):
    sim.inject("stream_error", status=503, message="model overloaded")
    result = plugin.request(llm_request(MODEL, creds, HELLO))
    assert result.error_type == "InvokeServerUnavailableError"
    assert "model overloaded" in result.message


@pytest.mark.parametrize("stream", [True, False])
def test_unreachable_endpoint_is_a_connection_error(plugin, creds, stream):
    dead = {**creds, "endpoint_url": "http://127.0.0.1:9/v1"}
    result = plugin.request(llm_request(MODEL, dead, HELLO, stream=stream))
    assert result.error_type == "InvokeConnectionError"


def test_images_sent_to_a_text_only_model_become_a_placeholder(plugin, sim, creds):
    from testkit.images import png_bytes_b64

    content = [
        {"type": "text", "data": "What is this?"},
        {
            "type": "image",
            "format": "png",
            "mime_type": "image/png",
            "base64_data": png_bytes_b64(64, 64),
            "url": "",
            "filename": "cat.png",
            "detail": "high",
        },
    ]
    result = plugin.request(llm_request(MODEL, creds, [{"role": "user", "content": content}]))
    assert result.ok, result.error
    parts = sim.last_body()["messages"][0]["content"]
    assert parts[1] == {
        "type": "text",
        "text": "[image 'cat.png' omitted: this model does not accept images]",
    }


def test_api_key_never_appears_in_logs(plugin, sim, creds):
    sim.inject("status", status=500, message="boom", times=10)
    plugin.request(llm_request(MODEL, creds, HELLO))
    plugin.request(llm_request(MODEL, {**creds, "api_key": creds["api_key"] + "x"}, HELLO))
    logs = plugin.stderr_lines + [line for line in plugin.stdout_lines if '"session"' not in line]
    assert logs, "the plugin should have written something to check"
    assert not [line for line in logs if creds["api_key"] in line]
    errors = [line for line in plugin.wire_lines if '"error_type"' in line]
    assert errors and not [line for line in errors if creds["api_key"] in line]


def test_a_server_that_stops_answering_is_a_timeout_connection_error(sim, creds):
    with PluginProcess("local", extra_env={"ATLASCLOUD_READ_TIMEOUT_S": "1"}) as plugin:
        sim.inject("hang", status=4, times=3)
        result = plugin.request(llm_request(MODEL, creds, HELLO, stream=False))
        assert result.error_type == "InvokeConnectionError" and "timeout" in result.message
        assert chat_paths(sim) == 3, "timeouts are retried twice"
        assert_still_serving(plugin, creds)


def test_the_plugins_own_budget_ends_a_silent_call_before_difys_limit(sim, creds):
    # Dify's daemon kills a call at 600 s; the plugin's budget (here 3 s) ends it first, in words.
    with PluginProcess("local", extra_env={"ATLASCLOUD_TOTAL_TIMEOUT_S": "3"}) as plugin:
        sim.inject("hang", status=30, times=1)
        result = plugin.request(llm_request(MODEL, creds, HELLO, stream=False), timeout=25)
        assert result.error_type == "InvokeConnectionError"
        assert result.message.startswith("The endpoint 127.0.0.1 did not finish within 3 s")
        assert "PLUGIN_MAX_EXECUTION_TIMEOUT" in result.message
        assert chat_paths(sim) == 1, "no retry starts once the budget is spent"
        assert_still_serving(plugin, creds)


def test_a_stream_that_outlives_the_budget_is_cut_with_what_arrived_kept(sim, creds):
    sim.state.stream_deltas, sim.state.delta_gap_s = 40, 0.25  # ten seconds of a slow answer
    with PluginProcess("local", extra_env={"ATLASCLOUD_TOTAL_TIMEOUT_S": "3"}) as plugin:
        result = plugin.request(llm_request(MODEL, creds, HELLO), timeout=25)
        assert result.error_type == "InvokeConnectionError" and "within 3 s" in result.message
        assert result.text().startswith("tok tok "), "the text that arrived in time was delivered"
        assert result.usage() is None
        sim.state.stream_deltas = 0
        assert_still_serving(plugin, creds)


def test_a_blocking_reply_kept_alive_byte_by_byte_still_ends_within_the_budget(sim, creds):
    # A gateway that trickles keep-alive bytes never trips a read timeout: only the budget,
    # checked between reads, ends the call before Dify's daemon kills it at 600 s.
    with PluginProcess("local", extra_env={"ATLASCLOUD_TOTAL_TIMEOUT_S": "3"}) as plugin:
        sim.inject("trickle", status=20, times=1)
        started = time.monotonic()
        result = plugin.request(llm_request(MODEL, creds, HELLO, stream=False), timeout=25)
        assert result.error_type == "InvokeConnectionError" and "within 3 s" in result.message
        assert time.monotonic() - started < 15, "ended by the budget, not by the trickle running out"
        assert chat_paths(sim) == 1
        assert_still_serving(plugin, creds)
