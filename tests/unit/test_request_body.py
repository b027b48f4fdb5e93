"""Dify model parameters -> the exact chat request body sent to AtlasCloud."""

from __future__ import annotations

import pytest
from dify_plugin.errors.model import InvokeBadRequestError

from models.llm.request import build_chat_request, demands_reasoning_replay, thinking_on
from provider.errors.mapping import guard

MESSAGES = [{"role": "user", "content": "hi"}]
TOOLS = [{"type": "function", "function": {"name": "f", "description": "d", "parameters": {}}}]


def body(parameters: dict, *, tools=None, stop=None, stream=False) -> dict:
    return build_chat_request(
        model="m", messages=MESSAGES, parameters=parameters, tools=tools or [], stop=stop, stream=stream
    )


def test_a_plain_blocking_request_carries_only_model_messages_and_stream():
    assert body({}) == {"model": "m", "messages": MESSAGES, "stream": False}


def test_a_stream_asks_for_usage_in_its_last_chunk():
    assert body({}, stream=True) == {
        "model": "m",
        "messages": MESSAGES,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def test_sampling_parameters_pass_under_their_openai_names_and_unset_ones_are_left_out():
    parameters = {
        "temperature": 0.2,
        "top_p": 0.9,
        "max_tokens": 512,
        "presence_penalty": 0.1,
        "frequency_penalty": 0.3,
        "seed": 7,
        "unknown_knob": 1,
        "top_k": None,
    }
    sent = body(parameters)
    assert {k: v for k, v in sent.items() if k not in ("model", "messages", "stream")} == {
        "temperature": 0.2,
        "top_p": 0.9,
        "max_tokens": 512,
        "presence_penalty": 0.1,
        "frequency_penalty": 0.3,
        "seed": 7,
    }
    # A zero is a real value (greedy sampling), only None means "not set".
    assert body({"temperature": 0, "seed": None})["temperature"] == 0 and "seed" not in body({"seed": None})


def test_tools_come_with_automatic_choice_and_stop_words_are_sent():
    sent = body({}, tools=TOOLS, stop=["\n\nUser:"])
    assert sent["tools"] == TOOLS and sent["tool_choice"] == "auto" and sent["stop"] == ["\n\nUser:"]
    assert "tools" not in body({}) and "tool_choice" not in body({}) and "stop" not in body({}, stop=[])


@pytest.mark.parametrize(
    ("parameters", "switches"),
    [
        ({"thinking": True}, {"thinking": {"type": "enabled"}}),
        ({"thinking": False}, {"thinking": {"type": "disabled"}}),
        ({"reasoning_effort": "low"}, {"reasoning_effort": "low"}),
        ({"thinking": True, "reasoning_effort": "high"}, {"thinking": {"type": "enabled"}, "reasoning_effort": "high"}),
    ],
)
def test_reasoning_switches_go_in_the_json_body(parameters, switches):
    sent = body(parameters)
    assert {key: sent[key] for key in ("thinking", "reasoning_effort") if key in sent} == switches


def test_no_reasoning_switch_sends_neither_field():
    sent = body({"thinking": None, "reasoning_effort": ""})
    assert "thinking" not in sent and "reasoning_effort" not in sent and "extra_body" not in sent


def test_json_object_mode():
    assert body({"response_format": "json_object"})["response_format"] == {"type": "json_object"}


def test_a_bare_json_schema_is_wrapped_under_a_default_name():
    schema = '{"type": "object", "properties": {"a": {"type": "string"}}}'
    assert body({"response_format": "json_schema", "json_schema": schema})["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "response", "schema": {"type": "object", "properties": {"a": {"type": "string"}}}},
    }


def test_a_named_schema_keeps_its_name_and_strictness():
    named = '{"name": "person", "strict": 1, "schema": {"type": "object"}}'
    assert body({"json_schema": named})["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "person", "schema": {"type": "object"}, "strict": True},
    }
    unnamed = {"name": "", "schema": {"type": "object"}}  # Dify may also hand over a mapping
    assert body({"response_format": "", "json_schema": unnamed})["response_format"]["json_schema"] == {
        "name": "response",
        "schema": {"type": "object"},
    }


@pytest.mark.parametrize(
    "parameters",
    [{}, {"response_format": "text"}, {"response_format": "text", "json_schema": '{"type": "object"}'}],
)
def test_text_mode_sends_no_response_format(parameters):
    assert "response_format" not in body(parameters)


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        (
            {"response_format": "json_schema"},
            "Response format 'json_schema' needs a JSON schema; add one or pick 'text'.",
        ),
        ({"json_schema": "[1, 2]"}, "The JSON schema must be a JSON object."),
        ({"json_schema": "{not json"}, "The JSON schema is not valid JSON: "),
        ({"json_schema": 42}, "The JSON schema is not valid JSON: "),
    ],
)
def test_an_unusable_schema_is_refused_before_any_request(parameters, message):
    with pytest.raises(InvokeBadRequestError) as raised, guard(None):
        body(parameters)
    assert str(raised.value.description).startswith(message)


@pytest.mark.parametrize(
    ("parameters", "on"),
    [
        ({}, True),
        ({"thinking": True}, True),
        ({"thinking": None}, True),
        ({"thinking": False}, False),
        ({"reasoning_effort": "low"}, True),
        ({"reasoning_effort": "none"}, False),
    ],
)
def test_thinking_is_on_unless_switched_off(parameters, on):
    assert thinking_on(parameters) is on


@pytest.mark.parametrize(
    ("model", "parameters", "demanded"),
    [
        ("moonshotai/kimi-k2.6", {}, True),
        ("Moonshot-v1", {}, True),
        ("deepseek-ai/DeepSeek-V3.2", {"thinking": True}, True),
        ("deepseek-ai/deepseek-v3.2", {"thinking": False}, False),
        ("moonshotai/kimi-k2.6", {"reasoning_effort": "none"}, False),
        ("zai-org/glm-5.1", {}, False),
    ],
)
def test_kimi_and_deepseek_with_thinking_on_demand_reasoning_on_every_tool_turn(model, parameters, demanded):
    assert demands_reasoning_replay(model, parameters) is demanded
