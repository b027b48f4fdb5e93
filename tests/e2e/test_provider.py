"""Provider and model credential validation, endpoint handling and token counting, through the plugin."""

from __future__ import annotations

import base64

import pytest

from testkit.images import encode, photo
from testkit.plugin_driver import action_request, llm_request


def validate(plugin, credentials):
    return plugin.request(action_request("validate_provider_credentials", "llm", None, credentials))


def test_good_key_validates_through_the_free_balance_endpoint(plugin, sim, creds):
    result = validate(plugin, creds)
    assert result.single()["result"] is True
    assert [r.path for r in sim.requests()] == ["/public/v1/balance"]
    assert sim.requests("/v1/chat/completions") == []


def test_wrong_key_fails_validation_with_an_actionable_message(plugin, sim, creds):
    result = validate(plugin, {**creds, "api_key": "apikey-nope"})
    assert result.error_type == "CredentialsValidateFailedError"
    assert "401" in result.message and "api-keys" in result.message
    assert "apikey-nope" not in result.message


@pytest.mark.parametrize("balance", ["forbidden", "absent", "broken"])
def test_key_without_billing_access_falls_back_to_a_listed_model(plugin, sim, creds, balance):
    sim.state.balance = balance
    result = validate(plugin, creds)
    assert result.single()["result"] is True
    chat = sim.last_body()
    assert chat["model"] == "deepseek-ai/deepseek-v3.2", "first predefined model the endpoint lists as ready"
    assert chat["max_tokens"] == 16


def test_fallback_validation_still_rejects_a_wrong_key(plugin, sim, creds):
    sim.state.balance = "absent"  # 404 whatever the key: the decision falls to the probe completion
    result = validate(plugin, {**creds, "api_key": "apikey-nope"})
    assert result.error_type == "CredentialsValidateFailedError"
    assert "401" in result.message
    assert len(sim.requests("/v1/chat/completions")) == 1, "the probe must have been sent and refused"


def test_a_gateway_that_answers_400_to_a_wrong_key_never_validates(plugin, sim, creds):
    # A LiteLLM proxy in endpoint_url answers 400 to every call with a bad key: not proof of the key.
    sim.state.balance = "absent"
    sim.state.bad_key_status = 400
    result = validate(plugin, {**creds, "api_key": "apikey-nope"})
    assert result.error_type == "CredentialsValidateFailedError"
    assert "invalid proxy token" in result.message and "127.0.0.1" in result.message
    assert validate(plugin, creds).single()["result"] is True


def test_fallback_works_when_the_endpoint_lists_no_models(plugin, sim, creds):
    sim.state.balance = "absent"
    sim.state.models_listed = False
    assert validate(plugin, creds).single()["result"] is True
    assert sim.last_body()["model"] == "deepseek-ai/deepseek-v3.2"


def test_fallback_accepts_the_key_when_only_the_probe_model_is_refused(plugin, sim, creds):
    sim.state.balance = "absent"
    saved = dict(sim.state.models)
    try:
        sim.state.models = {}  # every probe model is now unknown: 404, after authentication
        assert validate(plugin, creds).single()["result"] is True
        assert validate(plugin, {**creds, "api_key": "apikey-nope"}).error_type == "CredentialsValidateFailedError"
    finally:
        sim.state.models = saved


def test_insufficient_balance_on_the_probe_fails_validation_with_the_top_up_hint(plugin, sim, creds):
    sim.state.balance = "forbidden"
    sim.inject("status", status=402, message="insufficient balance")
    result = validate(plugin, creds)
    assert result.error_type == "CredentialsValidateFailedError" and "top up" in result.message


def test_fallback_never_picks_a_model_that_is_not_ready(plugin, sim, creds):
    sim.state.balance = "absent"
    saved = dict(sim.state.models)
    try:
        sim.state.models = {k: v for k, v in saved.items() if k in ("openai/gpt-4o-mini", "sim/plain-chat")}
        assert validate(plugin, creds).single()["result"] is True
        assert sim.last_body()["model"] == "sim/plain-chat"
    finally:
        sim.state.models = saved


@pytest.mark.parametrize(
    "shape", ["{base}/", "{base}/v1", "{root}", "{root}/", "{base}/chat/completions", "  {base}  "]
)
def test_endpoint_url_is_normalised_once(plugin, sim, creds, shape):
    root = sim.base_url.removesuffix("/v1")
    endpoint = shape.format(base=sim.base_url, root=root)
    result = plugin.request(
        llm_request("sim/plain-chat", {**creds, "endpoint_url": endpoint}, [{"role": "user", "content": "x"}])
    )
    assert result.ok, result.error
    assert sim.requests()[-1].path == "/v1/chat/completions"


def test_invalid_endpoint_url_fails_validation_clearly(plugin, creds):
    result = validate(plugin, {**creds, "endpoint_url": "ftp://example.com"})
    assert result.error_type == "CredentialsValidateFailedError"
    assert "must start with https://" in result.message


def test_requests_carry_auth_and_a_descriptive_user_agent(plugin, sim, creds):
    assert plugin.request(llm_request("sim/plain-chat", creds, [{"role": "user", "content": "x"}])).ok
    headers = sim.requests("/v1/chat/completions")[-1].headers
    assert headers["authorization"] == f"Bearer {creds['api_key']}"
    assert headers["user-agent"].startswith("dify-plugin-atlascloud/")


def test_customizable_model_validation_probes_that_model(plugin, sim, creds):
    model_creds = {**creds, "context_size": "32768", "max_tokens": "4096"}
    ok = plugin.request(action_request("validate_model_credentials", "llm", "sim/plain-chat", model_creds))
    assert ok.single()["result"] is True
    assert sim.last_body()["model"] == "sim/plain-chat"
    missing = plugin.request(action_request("validate_model_credentials", "llm", "acme/ghost", model_creds))
    assert missing.error_type == "CredentialsValidateFailedError"
    assert "acme/ghost" in missing.message and "404" in missing.message


def test_customizable_model_form_errors_are_explained(plugin, sim, creds):
    bad = {**creds, "context_size": "lots"}
    result = plugin.request(action_request("validate_model_credentials", "llm", "sim/plain-chat", bad))
    assert result.error_type == "CredentialsValidateFailedError"
    assert "'context_size' must be a whole number" in result.message


def test_token_count_works_offline_and_images_are_not_counted_as_base64(plugin, creds):
    big = encode(photo(1600, 1200), "PNG")
    assert len(base64.b64encode(big)) > 500_000
    content = [
        {"type": "text", "data": "Describe this picture."},
        {
            "type": "image",
            "format": "png",
            "mime_type": "image/png",
            "base64_data": base64.b64encode(big).decode(),
            "url": "",
            "filename": "",
            "detail": "high",
        },
    ]
    counted = plugin.request(
        action_request(
            "get_llm_num_tokens",
            "llm",
            "qwen/qwen3.5-27b",
            creds,
            prompt_messages=[{"role": "user", "content": content}],
            tools=None,
        )
    ).single()["num_tokens"]
    # 1600x1200 in 32 px blocks = 50 x 38 = 1900 image tokens (+2 markers) plus a little text.
    assert 1900 < counted < 1950


def test_token_count_includes_tools(plugin, creds):
    messages = [{"role": "user", "content": "hi"}]
    tool = {
        "name": "lookup",
        "description": "Look something up in the company wiki",
        "parameters": {
            "type": "object",
            "properties": {"query": {"type": "string", "description": "what to look up"}},
        },
    }

    def count(tools):
        return plugin.request(
            action_request(
                "get_llm_num_tokens", "llm", "qwen/qwen3.5-27b", creds, prompt_messages=messages, tools=tools
            )
        ).single()["num_tokens"]

    assert count([tool]) > count(None) + 20
