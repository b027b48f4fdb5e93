"""How a rerank model is run, read from its YAML (predefined rankers) or from Dify's "Add Model"
form (user-added): the protocol, the ranker's context and capabilities, and the schema Dify shows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from dify_plugin.entities.model import FetchFrom, ModelFeature, ModelPropertyKey, ModelType

from models.rerank.settings import RerankSettings, customizable_rerank_schema, settings_from_form, settings_from_yaml
from provider.errors.tree import FormError


def test_a_predefined_ranker_defaults_to_structured_output_with_thinking_left_on():
    settings = settings_from_yaml({}, [], 163840)
    assert settings == RerankSettings(
        protocol="llm",
        context_size=163840,
        structured_output=True,
        disable_thinking=False,
        vision=False,
        native_scores="probability",
    )


def test_a_predefined_rankers_block_and_features_are_read():
    settings = settings_from_yaml(
        {"structured_output": False, "disable_thinking": True}, [ModelFeature.TOOL_CALL, ModelFeature.VISION], 262144
    )
    assert (settings.structured_output, settings.disable_thinking, settings.vision) == (False, True, True)
    assert (settings.protocol, settings.context_size) == ("llm", 262144)
    assert settings_from_yaml({"structured_output": 0, "disable_thinking": 1}, [], 1).structured_output is False


def test_an_empty_form_gives_the_llm_ranker_with_the_forms_defaults():
    assert settings_from_form({"api_key": "k"}) == RerankSettings(
        protocol="llm",
        context_size=131072,
        structured_output=True,
        disable_thinking=False,
        vision=False,
        native_scores="probability",
    )


def test_every_form_field_is_read():
    settings = settings_from_form(
        {
            "rerank_protocol": "native",
            "context_size": " 8192 ",
            "structured_output": "no_support",
            "reasoning": "switchable",
            "vision_support": "support",
            "native_scores": "logits",
        }
    )
    assert settings == RerankSettings(
        protocol="native",
        context_size=8192,
        structured_output=False,
        disable_thinking=True,
        vision=True,
        native_scores="logits",
    )


@pytest.mark.parametrize(
    ("field", "value", "attribute", "expected"),
    [
        ("rerank_protocol", "llm", "protocol", "llm"),
        ("rerank_protocol", "NATIVE", "protocol", "llm"),
        ("structured_output", "support", "structured_output", True),
        ("reasoning", "none", "disable_thinking", False),
        ("vision_support", "no_support", "vision", False),
        ("native_scores", "probability", "native_scores", "probability"),
        ("native_scores", "Logits", "native_scores", "probability"),
    ],
)
def test_the_forms_other_options_keep_the_default_behaviour(field, value, attribute, expected):
    assert getattr(settings_from_form({field: value}), attribute) == expected


def test_a_bad_context_size_is_the_forms_error():
    with pytest.raises(FormError, match="'context_size' must be greater than 0"):
        settings_from_form({"context_size": "0"})


def test_the_user_added_schema_carries_context_and_prices():
    entity = customizable_rerank_schema(
        "my/ranker", {"context_size": "32768", "input_price": "0.5", "output_price": "2", "vision_support": "support"}
    )
    assert (entity.model, entity.model_type, entity.fetch_from) == (
        "my/ranker",
        ModelType.RERANK,
        FetchFrom.CUSTOMIZABLE_MODEL,
    )
    assert entity.model_properties == {ModelPropertyKey.CONTEXT_SIZE: 32768}
    assert entity.features == [ModelFeature.VISION]
    assert entity.pricing is not None
    assert (entity.pricing.input, entity.pricing.output) == (Decimal("0.5"), Decimal("2"))


@pytest.mark.parametrize(
    "credentials",
    [{"vision_support": "no_support"}, {"vision_support": "support", "rerank_protocol": "native"}, {}],
    ids=["no vision", "native endpoint", "defaults"],
)
def test_only_a_vision_llm_ranker_offers_multimodal_rerank(credentials):
    entity = customizable_rerank_schema("my/ranker", credentials)
    assert entity.features == []
    assert entity.model_properties == {ModelPropertyKey.CONTEXT_SIZE: 131072}
