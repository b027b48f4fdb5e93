"""The schema Dify shows for a user-added chat model (models/llm/schema.py): its features, its
parameter rules and their limits, its context size and prices, from the form and AtlasCloud's
model list (a stand-in here, no network)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from dify_plugin.entities.model import AIModelEntity, FetchFrom, ModelFeature, ModelPropertyKey, ModelType

from models.common.labels import parameter_help, parameter_label
from models.llm.model_list import ListedModel
from models.llm.schema import customizable_llm_schema
from tests.unit.fakes import stub_model_list

MODEL = "acme/chat-v1"
PLAIN = {
    "api_key": "k",
    "function_calling": "no_support",
    "reasoning": "none",
    "vision_support": "no_support",
    "structured_output": "no_support",
}
TOOL_FEATURES = {ModelFeature.TOOL_CALL, ModelFeature.MULTI_TOOL_CALL, ModelFeature.STREAM_TOOL_CALL}


@pytest.fixture(autouse=True)
def listed(monkeypatch: pytest.MonkeyPatch) -> dict[str, ListedModel]:
    return stub_model_list(monkeypatch)


def rules_of(schema: AIModelEntity) -> dict[str, object]:
    return {rule.name: rule for rule in schema.parameter_rules}


def test_a_plain_model_reads_documents_and_offers_the_five_sampling_parameters():
    schema = customizable_llm_schema(MODEL, {**PLAIN, "context_size": "32768", "max_tokens": "4096"})
    assert (schema.model, schema.model_type, schema.fetch_from) == (MODEL, ModelType.LLM, FetchFrom.CUSTOMIZABLE_MODEL)
    assert schema.features == [ModelFeature.DOCUMENT]
    assert schema.model_properties == {ModelPropertyKey.MODE: "chat", ModelPropertyKey.CONTEXT_SIZE: 32768}
    rules = rules_of(schema)
    assert list(rules) == ["temperature", "top_p", "max_tokens", "presence_penalty", "frequency_penalty"]
    max_tokens = rules["max_tokens"]
    assert (max_tokens.default, max_tokens.min, max_tokens.max) == (4096, 1, 4096)
    assert max_tokens.type.value == "int" and max_tokens.use_template == "max_tokens"
    temperature = rules["temperature"]
    assert temperature.type.value == "float" and temperature.use_template == "temperature"
    assert temperature.label.ja_jp == parameter_label("temperature")["ja_JP"]
    assert temperature.help.ja_jp == parameter_help("temperature")["ja_JP"]  # the SDK's template has no Japanese
    assert (max_tokens.label.ja_jp, max_tokens.help.ja_jp) == (
        parameter_label("max_tokens")["ja_JP"],
        parameter_help("max_tokens")["ja_JP"],
    )


def test_the_default_answer_length_is_capped_at_8192_tokens():
    rule = rules_of(customizable_llm_schema(MODEL, {**PLAIN, "max_tokens": "65536"}))["max_tokens"]
    assert (rule.default, rule.max) == (8192, 65536)


def test_each_supported_capability_adds_its_features():
    tools = customizable_llm_schema(MODEL, {**PLAIN, "function_calling": "support"})
    assert set(tools.features) == {ModelFeature.DOCUMENT} | TOOL_FEATURES
    vision = customizable_llm_schema(MODEL, {**PLAIN, "vision_support": "support"})
    assert set(vision.features) == {ModelFeature.DOCUMENT, ModelFeature.VISION}
    for reasoning in ("switchable", "always"):
        thinker = customizable_llm_schema(MODEL, {**PLAIN, "reasoning": reasoning})
        assert set(thinker.features) == {ModelFeature.DOCUMENT, ModelFeature.AGENT_THOUGHT}


def test_structured_output_adds_the_response_format_and_schema_parameters():
    schema = customizable_llm_schema(MODEL, {**PLAIN, "structured_output": "support"})
    assert set(schema.features) == {ModelFeature.DOCUMENT, ModelFeature.STRUCTURED_OUTPUT}
    rules = rules_of(schema)
    response_format, json_schema = rules["response_format"], rules["json_schema"]
    assert response_format.options == ["text", "json_object", "json_schema"]
    assert (response_format.type.value, response_format.use_template) == ("string", "response_format")
    assert (json_schema.type.value, json_schema.use_template) == ("text", "json_schema")
    assert json_schema.label.ja_jp == parameter_label("json_schema")["ja_JP"]
    assert json_schema.help.ja_jp == parameter_help("json_schema")["ja_JP"]
    assert response_format.help.ja_jp == parameter_help("response_format")["ja_JP"]


def test_only_a_switchable_model_gets_the_thinking_switch_on_by_default():
    rule = rules_of(customizable_llm_schema(MODEL, {**PLAIN, "reasoning": "switchable"}))["thinking"]
    assert (rule.type.value, rule.default, rule.required, rule.use_template) == ("boolean", True, False, None)
    assert rule.label.en_us == "Thinking"
    assert "thinking" not in rules_of(customizable_llm_schema(MODEL, {**PLAIN, "reasoning": "always"}))


def test_the_prices_come_from_the_list_unless_typed(listed: dict[str, ListedModel]):
    listed[MODEL] = ListedModel(id=MODEL, input_price=Decimal("0.3"), output_price=Decimal("1.2"), context_size=8000)
    schema = customizable_llm_schema(MODEL, {**PLAIN, "output_price": "2"})
    assert (schema.pricing.input, schema.pricing.output) == (Decimal("0.3"), Decimal(2))
    assert schema.model_properties[ModelPropertyKey.CONTEXT_SIZE] == 8000
