"""The API key never reaches Dify, even from an upstream that echoes it back in its error body.

Some gateways quote the Authorization header or the key in their error messages. Every path that
raises to Dify is tried with such an upstream, and the key is searched for in everything the
plugin process wrote (session messages with their tracebacks and descriptions, logs, stderr).
"""

from __future__ import annotations

import json

import pytest

from testkit.plugin_driver import PluginProcess, SessionResult, action_request, llm_request

MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"
HELLO = [{"role": "user", "content": "hello"}]
# A gateway's key: no `apikey-` prefix, short, with punctuation, so no key-shaped pattern hides it:
# only the configured key itself, passed to the choke point with the connection, is redacted.
GATEWAY_KEY = "gw.Key!42"


@pytest.fixture(params=["atlascloud-key", "gateway-key"])
def creds(request, sim):
    """Every test here runs with AtlasCloud's key shape and with a gateway key of another shape."""
    original = sim.state.api_key
    if request.param == "gateway-key":
        sim.state.api_key = GATEWAY_KEY
    yield {"api_key": sim.state.api_key, "endpoint_url": sim.base_url}
    sim.state.api_key = original


def echo(key: str) -> str:
    return f"invalid token: Bearer {key} (key {key})"


def assert_nowhere(plugin: PluginProcess, result: SessionResult, key: str) -> None:
    assert result.error is not None, "the call was expected to fail"
    everything = json.dumps(result.error) + "\n".join(plugin.stdout_lines + plugin.stderr_lines + plugin.wire_lines)
    assert key not in everything
    assert key[:16] not in everything, "not even a prefix of the key"
    assert "***" in result.message, "the echoed key was replaced, and the rest of the message kept"
    # The connection reached the choke point: the endpoint is named, not AtlasCloud.
    assert "AtlasCloud answered" not in result.message and "AtlasCloud reported" not in result.message


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("status", [400, 401, 500])
def test_an_echoed_key_in_an_error_status_is_removed(plugin, sim, creds, stream, status):
    sim.inject("status", status=status, message=echo(creds["api_key"]), times=3)
    result = plugin.request(llm_request(MODEL, creds, HELLO, stream=stream))
    assert_nowhere(plugin, result, creds["api_key"])


def test_an_echoed_key_in_an_error_event_mid_stream_is_removed(plugin, sim, creds):
    sim.inject("stream_error", status=400, message=echo(creds["api_key"]))
    result = plugin.request(llm_request(MODEL, creds, HELLO))
    assert result.error_type == "InvokeBadRequestError"
    assert_nowhere(plugin, result, creds["api_key"])


def test_provider_validation_never_shows_the_key(plugin, sim, creds):
    sim.inject("status", status=401, message=echo(creds["api_key"]), path="/public/v1/balance")
    result = plugin.request(action_request("validate_provider_credentials", "llm", None, creds))
    assert result.error_type == "CredentialsValidateFailedError"
    assert_nowhere(plugin, result, creds["api_key"])
    sim.state.balance = "absent"
    sim.inject("status", status=403, message=echo(creds["api_key"]))
    result = plugin.request(action_request("validate_provider_credentials", "llm", None, creds))
    assert_nowhere(plugin, result, creds["api_key"])


def test_model_validation_never_shows_the_key(plugin, sim, creds):
    sim.inject("status", status=400, message=echo(creds["api_key"]))
    result = plugin.request(action_request("validate_model_credentials", "llm", "sim/plain-chat", creds))
    assert result.error_type == "CredentialsValidateFailedError"
    assert_nowhere(plugin, result, creds["api_key"])


def test_an_endpoint_with_credentials_in_it_is_refused_without_echoing_them(plugin, creds):
    url = creds["endpoint_url"].replace("http://", "http://admin:hunter2secret@")
    result = plugin.request(
        action_request("validate_provider_credentials", "llm", None, {**creds, "endpoint_url": url})
    )
    assert result.error_type == "CredentialsValidateFailedError"
    assert "user name or password" in result.message and "hunter2secret" not in json.dumps(result.error)
    chat = plugin.request(llm_request(MODEL, {**creds, "endpoint_url": url}, HELLO))
    assert chat.error_type == "InvokeBadRequestError" and "hunter2secret" not in json.dumps(chat.error)


def test_embedding_paths_never_show_the_key(plugin, sim, creds):
    sim.state.embeddings_enabled = True
    sim.inject("status", status=401, message=echo(creds["api_key"]), path="/v1/embeddings", times=2)
    request = action_request(
        "invoke_text_embedding", "text-embedding", "qwen/qwen3-embedding-8b", creds, texts=["a"], input_type="document"
    )
    assert_nowhere(plugin, plugin.request(request), creds["api_key"])
    validation = action_request("validate_model_credentials", "text-embedding", "qwen/qwen3-embedding-8b", creds)
    assert_nowhere(plugin, plugin.request(validation), creds["api_key"])


def test_rerank_paths_never_show_the_key(plugin, sim, creds):
    sim.inject("status", status=400, message=echo(creds["api_key"]), times=2)
    request = action_request(
        "invoke_rerank", "rerank", "Qwen/Qwen3-235B-A22B-Instruct-2507", creds,
        query="q", docs=["a", "b"], score_threshold=None, top_n=None,
    )  # fmt: skip
    assert_nowhere(plugin, plugin.request(request), creds["api_key"])
    validation = action_request("validate_model_credentials", "rerank", "Qwen/Qwen3-235B-A22B-Instruct-2507", creds)
    assert_nowhere(plugin, plugin.request(validation), creds["api_key"])
