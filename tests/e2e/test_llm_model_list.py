"""User-added LLMs configure themselves from AtlasCloud's model list (issue 19, part 2).

Through the real plugin process. The plugin caches the list per endpoint for the life of the
process, so every test here serves its own simulator (its own endpoint): each starts cold.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest

from testkit.plugin_driver import PluginProcess, action_request, llm_request
from testkit.simulator.catalog import SimModel
from testkit.simulator.server import Simulator

MODEL = "acme/listed-thinker"
# As AtlasCloud would list it: per-token USD prices (1 / 3 / 0.25 per 1M tokens).
LISTED = SimModel(MODEL, 200000, 32000, ("0.000001", "0.000003"), "0.00000025", reasoning=True, vision=True)
EMPTY_FORM = {  # what Dify sends for a model added with its name only (no defaults any more)
    "context_size": "",
    "max_tokens": "",
    "vision_support": "",
    "function_calling": "",
    "reasoning": "",
    "structured_output": "",
    "input_price": "",
    "output_price": "",
    "cached_input_price": "",
}


@pytest.fixture
def own_sim() -> Iterator[Simulator]:
    simulator = Simulator().start()
    simulator.state.models[MODEL] = LISTED
    yield simulator
    simulator.stop()


def credentials(sim: Simulator, **form: str) -> dict[str, str]:
    return {"api_key": sim.state.api_key, "endpoint_url": sim.base_url} | EMPTY_FORM | form


def schema_of(plugin: PluginProcess, creds: dict) -> dict:
    return plugin.request(action_request("get_ai_model_schemas", "llm", MODEL, creds)).single()["model_schema"]


def rule(schema: dict, name: str) -> dict | None:
    return next((r for r in schema["parameter_rules"] if r["name"] == name), None)


def plugin_log(plugin: PluginProcess, needle: str, after: int) -> str:
    for _ in range(100):  # the SDK logs to stdout in both modes; in serverless mode it may trail
        found = [json.loads(line)["data"]["message"] for line in plugin.stdout_lines[after:] if needle in line]
        if found:
            return found[-1]
        time.sleep(0.05)
    raise AssertionError(f"no {needle!r} in the plugin log")


def test_a_model_added_with_only_its_name_gets_atlasclouds_numbers_and_uses_them(plugin, own_sim):
    creds = credentials(own_sim)
    schema = schema_of(plugin, creds)
    assert schema["model_properties"]["context_size"] == 200000
    assert rule(schema, "max_tokens")["max"] == 32000
    assert {"vision", "agent-thought", "tool-call", "structured-output"} <= set(schema["features"])
    assert rule(schema, "thinking") is not None and rule(schema, "response_format") is not None
    assert (float(schema["pricing"]["input"]), float(schema["pricing"]["output"])) == (1.0, 3.0)

    own_sim.state.variants.prompt_cache = True
    system = {"role": "system", "content": "Answer in one line. " * 100}  # 2,000 characters: 448 cached tokens
    messages = [system, {"role": "user", "content": "hi"}]
    for _ in range(2):  # the second reply reads the system prompt from the cache
        result = plugin.request(llm_request(MODEL, creds, messages, parameters={"thinking": True, "max_tokens": 30000}))
        assert result.ok, result.error
    assert own_sim.last_body()["thinking"] == {"type": "enabled"} and own_sim.last_body()["max_tokens"] == 30000
    usage = result.usage()
    cached = len(system["content"]) // 4 // 64 * 64
    assert cached == 448
    # by hand: cached x 0.25 / 1e6 + (prompt - cached) x 1 / 1e6, each rounded to 7 decimals
    uncached = usage["prompt_tokens"] - cached
    expected = round(cached * 0.25 / 1e6, 7) + round(uncached * 1.0 / 1e6, 7)
    assert float(usage["prompt_price"]) == pytest.approx(expected, abs=1e-9)
    assert float(usage["completion_unit_price"]) == 3.0

    ok = plugin.request(action_request("validate_model_credentials", "llm", MODEL, creds))
    assert ok.single()["result"] is True
    assert len(own_sim.requests("/v1/models")) == 1, "one fetch per interval per endpoint"


def test_typed_values_win_over_the_list(plugin, own_sim):
    creds = credentials(
        own_sim,
        context_size="65536",
        max_tokens="4096",
        vision_support="no_support",
        reasoning="none",
        input_price="0.5",
    )
    schema = schema_of(plugin, creds)
    assert schema["model_properties"]["context_size"] == 65536
    assert rule(schema, "max_tokens")["max"] == 4096
    assert "vision" not in schema["features"] and "agent-thought" not in schema["features"]
    assert rule(schema, "thinking") is None
    assert float(schema["pricing"]["input"]) == 0.5 and float(schema["pricing"]["output"]) == 3.0  # output: listed


def test_a_model_listed_as_not_ready_is_refused_at_validation_without_a_billed_probe(plugin, own_sim):
    own_sim.state.models[MODEL] = SimModel(MODEL, reasoning=True, is_ready=False)
    result = plugin.request(action_request("validate_model_credentials", "llm", MODEL, credentials(own_sim)))
    assert result.error_type == "CredentialsValidateFailedError"
    assert f"lists model '{MODEL}' as not ready (is_ready: false)" in result.message
    assert own_sim.requests("/v1/chat/completions") == []


def huge_list() -> bytes:
    filler = [{"id": f"filler/model-{n}", "context_length": 4096, "description": "x" * 900} for n in range(10_000)]
    return json.dumps({"code": 200, "msg": "success", "data": filler}).encode()


@pytest.mark.parametrize("problem", ["unreachable", "slow", "malformed", "huge"])
def test_a_list_that_cannot_be_read_leaves_the_forms_values_and_is_logged(plugin, own_sim, problem):
    creds = credentials(own_sim, context_size="65536", vision_support="support")
    if problem == "unreachable":
        with socket.socket() as probe:  # a port nothing listens on: connections are refused
            probe.bind(("127.0.0.1", 0))
            creds["endpoint_url"] = f"http://127.0.0.1:{probe.getsockname()[1]}/v1"
    elif problem == "slow":
        own_sim.state.variants.models_delay_s = 8.0
    elif problem == "malformed":
        own_sim.state.variants.models_body = b'{"code": 200, "data": [{"id": '
    else:
        own_sim.state.variants.models_body = huge_list()
    before = len(plugin.stdout_lines)
    started = time.perf_counter()
    schema = schema_of(plugin, creds)
    assert time.perf_counter() - started < 7, "the fetch has a short timeout"
    assert schema["model_properties"]["context_size"] == 65536 and "vision" in schema["features"]
    assert rule(schema, "max_tokens")["max"] == 16384  # the fallback: neither typed nor listed
    assert "agent-thought" not in schema["features"]
    line = plugin_log(plugin, "could not be read", before)
    assert own_sim.state.api_key not in line
    started = time.perf_counter()
    schema_of(plugin, creds)
    assert time.perf_counter() - started < 2, "a failed fetch is not tried again on every call"
    if problem != "unreachable":
        result = plugin.request(llm_request(MODEL, creds, [{"role": "user", "content": "hi"}]))
        assert result.ok, result.error


def test_a_gateway_list_without_metadata_keeps_the_forms_values_exactly(plugin, own_sim):
    own_sim.state.variants.models_body = json.dumps(
        {"object": "list", "data": [{"id": MODEL, "object": "model"}]}
    ).encode()
    schema = schema_of(plugin, credentials(own_sim, context_size="32768", max_tokens="2048"))
    assert schema["model_properties"]["context_size"] == 32768
    assert rule(schema, "max_tokens")["max"] == 2048
    features = set(schema["features"])  # the old defaults: tools, no vision, reasoning or structured output
    assert "tool-call" in features and not features & {"vision", "agent-thought", "structured-output"}
    assert float(schema["pricing"]["input"]) == 0.0
