"""LLM chat through the real plugin process (stdio and serverless) against the simulator."""

from __future__ import annotations

import json

import pytest

from testkit.plugin_driver import PluginProcess, action_request, llm_request
from testkit.simulator.behaviour import prompt_tokens
from testkit.simulator.server import Simulator

QWEN = "qwen/qwen3.5-27b"  # reasoning + vision + structured output, thinking switch
PLAIN = "Qwen/Qwen3-235B-A22B-Instruct-2507"  # no reasoning
KIMI = "moonshotai/kimi-k2.6"  # needs reasoning replayed in tool loops

WEATHER = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
CLOCK = {
    "name": "get_time",
    "description": "Local time in a timezone",
    "parameters": {"type": "object", "properties": {"timezone": {"type": "string"}}},
}


def user(text: str) -> dict:
    return {"role": "user", "content": text}


@pytest.mark.parametrize("stream", [True, False])
def test_reasoning_arrives_as_one_think_block_before_the_answer(plugin, sim, creds, stream):
    result = plugin.request(llm_request(QWEN, creds, [user("Why is the sky blue?")], stream=stream))
    assert result.ok, result.error
    text = result.text()
    assert text.startswith("<think>\n")
    assert text.count("<think>") == 1 and text.count("</think>") == 1
    reasoning, answer = text[len("<think>\n") :].split("\n</think>")
    assert "Why is the sky blue?" in reasoning
    assert answer == "Hello from the AtlasCloud simulator. You said: Why is the sky blue?."


def test_a_model_at_normal_speed_streams_one_chunk_per_delta(plugin, sim, creds):
    sim.state.delta_gap_s = 0.05  # a model writing 20 deltas a second
    result = plugin.request(llm_request(PLAIN, creds, [user("one two three four five six")]))
    assert result.ok, result.error
    answer = "Hello from the AtlasCloud simulator. You said: one two three four five six."
    pieces = [answer[i : i + 9] for i in range(0, len(answer), 9)]  # how the simulator streams it
    assert [o["delta"]["message"]["content"] for o in result.outputs] == [*pieces, ""]


def test_deltas_already_waiting_are_merged_into_few_chunks(plugin, sim, creds):
    sim.state.stream_deltas = 400  # sent back to back, as a fast server or a burst after a stall does
    result = plugin.request(llm_request(PLAIN, creds, [user("go")]))
    assert result.ok, result.error
    assert result.text() == "tok " * 400
    assert len(result.outputs) < 100, f"{len(result.outputs)} chunks for 400 deltas"
    assert [o["delta"].get("usage") is not None for o in result.outputs].count(True) == 1


def test_stream_is_incremental_and_ends_with_usage_and_finish(plugin, sim, creds):
    result = plugin.request(llm_request(PLAIN, creds, [user("one two three four five six")]))
    assert result.ok, result.error
    assert "<think>" not in result.text()
    assert result.outputs[-1]["delta"]["finish_reason"] == "stop"
    body = sim.last_body()
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    usage = result.usage()
    assert usage["prompt_tokens"] == prompt_tokens(body)
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    # Pricing comes from the model YAML (USD per token): 0.2 / 1M tokens for input.
    assert usage["currency"] == "USD"
    assert float(usage["prompt_unit_price"]) == pytest.approx(0.2)


@pytest.mark.parametrize("stream", [True, False])
def test_usage_is_estimated_offline_when_the_server_sends_none(plugin, sim, creds, stream):
    sim.state.send_usage = False
    messages = [{"role": "system", "content": "Be brief."}, user("Count the tokens in this prompt, please.")]
    result = plugin.request(llm_request(PLAIN, creds, messages, stream=stream))
    assert result.ok, result.error
    counted = plugin.request(
        action_request("get_llm_num_tokens", "llm", PLAIN, creds, prompt_messages=messages, tools=None)
    ).single()["num_tokens"]
    usage = result.usage()
    assert usage["prompt_tokens"] == counted > 10
    assert usage["completion_tokens"] > 5


def test_thinking_switch_reaches_atlascloud_and_no_empty_think_block(plugin, sim, creds):
    result = plugin.request(llm_request(QWEN, creds, [user("hi")], parameters={"thinking": False}))
    assert result.ok, result.error
    assert sim.last_body()["thinking"] == {"type": "disabled"}
    assert "<think>" not in result.text()


def test_reasoning_effort_is_forwarded_where_declared(plugin, sim, creds):
    model = "minimaxai/minimax-m2.7"
    result = plugin.request(llm_request(model, creds, [user("hi")], parameters={"reasoning_effort": "low"}))
    assert result.ok, result.error
    assert sim.last_body()["reasoning_effort"] == "low"


def test_undeclared_parameters_are_not_sent(plugin, sim, creds):
    result = plugin.request(llm_request(PLAIN, creds, [user("hi")], parameters={"thinking": False, "temperature": 0.2}))
    assert result.ok, result.error
    body = sim.last_body()
    assert body["temperature"] == 0.2 and "thinking" not in body


def test_parallel_tool_calls_are_assembled_by_index(plugin, sim, creds):
    result = plugin.request(llm_request("zai-org/glm-5.1", creds, [user("Weather and time?")], tools=[WEATHER, CLOCK]))
    assert result.ok, result.error
    calls = result.tool_calls()
    assert [c["function"]["name"] for c in calls] == ["get_weather", "get_time"]
    assert json.loads(calls[0]["function"]["arguments"]) == {"city": "Paris"}
    assert json.loads(calls[1]["function"]["arguments"]) == {"timezone": "Paris"}
    assert all(c["id"].startswith("call_") for c in calls) and calls[0]["id"] != calls[1]["id"]
    assert result.finish_reason() == "tool_calls"
    body = sim.last_body()
    assert body["tool_choice"] == "auto"
    assert body["tools"][0] == {"type": "function", "function": WEATHER}
    # The think block is closed before the tool calls are emitted.
    assert result.text().endswith("\n</think>")


def test_blocking_tool_calls_are_emitted_once_each(plugin, sim, creds):
    request = llm_request("zai-org/glm-5.1", creds, [user("Weather and time?")], tools=[WEATHER, CLOCK], stream=False)
    result = plugin.request(request)
    assert result.ok, result.error
    assert len(result.outputs) == 1, "a blocking reply is one result"
    calls = result.tool_calls()
    assert [c["function"]["name"] for c in calls] == ["get_weather", "get_time"]
    assert len({c["id"] for c in calls}) == 2


def test_tool_loop_round_trips_ids_and_replays_reasoning(plugin, sim, creds):
    first = plugin.request(llm_request(KIMI, creds, [user("Weather in Paris?")], tools=[WEATHER]))
    assert first.ok, first.error
    call = first.tool_calls()[0]
    history = [
        user("Weather in Paris?"),
        {"role": "assistant", "content": first.text(), "tool_calls": [call]},
        {"role": "tool", "content": "18 C and sunny", "tool_call_id": call["id"], "name": "get_weather"},
    ]
    second = plugin.request(llm_request(KIMI, creds, history, tools=[WEATHER]))
    assert second.ok, second.error
    assert second.text().endswith("Tool results: 18 C and sunny")
    sent = sim.last_body()["messages"]
    assert sent[1]["tool_calls"][0]["id"] == call["id"]
    assert "<think>" not in sent[1]["content"]
    assert sent[1]["reasoning_content"].startswith("The user wrote:")
    assert sent[2] == {"role": "tool", "tool_call_id": call["id"], "content": "18 C and sunny"}


@pytest.mark.parametrize("stream", [True, False])
def test_tool_turn_keeps_raw_reasoning_for_replay_even_without_think_tags(plugin, sim, creds, stream):
    first = plugin.request(llm_request(KIMI, creds, [user("Weather in Paris?")], tools=[WEATHER], stream=stream))
    assert first.ok, first.error
    [carrier] = [o for o in first.outputs if o["delta"]["message"].get("tool_calls")]
    body = carrier["delta"]["message"]["opaque_body"]
    assert body["reasoning_content"].startswith("The user wrote:")
    call = first.tool_calls()[0]
    history = [
        user("Weather in Paris?"),
        # Dify stored only the answer text, without the <think> block; opaque_body carries it.
        {"role": "assistant", "content": "", "tool_calls": [call], "opaque_body": body},
        {"role": "tool", "content": "18 C", "tool_call_id": call["id"], "name": "get_weather"},
    ]
    assert plugin.request(llm_request(KIMI, creds, history, tools=[WEATHER])).ok
    assert sim.last_body()["messages"][1]["reasoning_content"] == body["reasoning_content"]


def test_assistant_history_without_tool_calls_drops_its_think_block(plugin, sim, creds):
    history = [user("a"), {"role": "assistant", "content": "<think>\nmulling\n</think>Answer A"}, user("b")]
    assert plugin.request(llm_request(QWEN, creds, history)).ok
    assert sim.last_body()["messages"][1] == {"role": "assistant", "content": "Answer A"}


@pytest.mark.parametrize("wrapped", [True, False])
def test_json_schema_reaches_atlascloud_as_response_format(plugin, sim, creds, wrapped):
    schema = {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}}
    raw = json.dumps({"name": "llm_response", "schema": schema} if wrapped else schema)
    parameters = {"response_format": "json_schema", "json_schema": raw, "thinking": False}
    result = plugin.request(llm_request(QWEN, creds, [user("Plan a trip")], parameters=parameters, stream=False))
    assert result.ok, result.error
    sent = sim.last_body()["response_format"]
    assert sent["type"] == "json_schema"
    assert sent["json_schema"]["schema"] == schema
    assert sent["json_schema"]["name"] == ("llm_response" if wrapped else "response")
    assert json.loads(result.text()) == {"city": "Paris", "days": 3}


def test_invalid_json_schema_is_a_clear_bad_request(plugin, sim, creds):
    parameters = {"response_format": "json_schema", "json_schema": "{not json"}
    result = plugin.request(llm_request(QWEN, creds, [user("x")], parameters=parameters))
    assert result.error_type == "InvokeBadRequestError"
    assert "JSON schema is not valid JSON" in result.message
    assert sim.requests("/v1/chat/completions") == []


def test_system_developer_and_stop_words_are_sent(plugin, sim, creds):
    messages = [{"role": "system", "content": "S"}, {"role": "developer", "content": "D"}, user("hi")]
    assert plugin.request(llm_request(PLAIN, creds, messages, stop=["\nUser:"])).ok
    body = sim.last_body()
    assert [m["role"] for m in body["messages"]] == ["system", "system", "user"]
    assert body["stop"] == ["\nUser:"]


@pytest.mark.parametrize("stream", [True, False])
def test_truncated_answer_reports_length_and_drops_partial_tool_calls(plugin, sim, creds, stream):
    # The simulator sends the call's first half ('{"city": "Pa') and finish_reason `length`.
    request = llm_request(
        PLAIN, creds, [user("Weather?")], tools=[WEATHER], parameters={"max_tokens": 3}, stream=stream
    )
    result = plugin.request(request)
    assert result.ok, result.error
    if stream:
        assert result.finish_reason() == "length"
    assert result.tool_calls() == []
    # The same request with room to finish does call the tool, so the case above really had a call.
    complete = plugin.request({**request, "model_parameters": {"max_tokens": 100}})
    assert [c["function"]["name"] for c in complete.tool_calls()] == ["get_weather"]


def test_customizable_model_gets_its_schema_and_features(plugin: PluginProcess, sim: Simulator, creds):
    model_creds = {
        **creds,
        "context_size": "65536",
        "max_tokens": "4096",
        "vision_support": "support",
        "reasoning": "switchable",
        "structured_output": "support",
        "input_price": "0.5",
        "output_price": "1.5",
    }
    schema = plugin.request(action_request("get_ai_model_schemas", "llm", "sim/vision-thinker", model_creds)).single()[
        "model_schema"
    ]
    assert schema["model_properties"]["context_size"] == 65536
    assert {"vision", "agent-thought", "structured-output", "tool-call"} <= set(schema["features"])
    names = {rule["name"] for rule in schema["parameter_rules"]}
    assert {"thinking", "json_schema", "response_format", "max_tokens"} <= names
    result = plugin.request(llm_request("sim/vision-thinker", model_creds, [user("hello")]))
    assert result.ok, result.error
    assert result.text().startswith("<think>\n")
    assert float(result.usage()["prompt_unit_price"]) == pytest.approx(0.5)


def test_concurrent_sessions_do_not_mix(plugin, sim, creds):
    from concurrent.futures import ThreadPoolExecutor

    prompts = [f"prompt number {n}" for n in range(6)]
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda p: plugin.request(llm_request(PLAIN, creds, [user(p)])), prompts))
    for prompt, result in zip(prompts, results, strict=True):
        assert result.ok, result.error
        assert result.text().endswith(f"You said: {prompt}.")
