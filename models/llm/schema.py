"""The schema of a user-added (customizable) LLM, built from its credential form."""

from __future__ import annotations

from collections.abc import Mapping

from dify_plugin.entities import I18nObject
from dify_plugin.entities.model import (
    AIModelEntity,
    DefaultParameterName,
    ModelFeature,
    ModelPropertyKey,
    ModelType,
    ParameterRule,
    ParameterType,
)

from models.common.labels import parameter_help, parameter_label
from models.common.model import user_added_model
from models.llm.user_model import user_model


def _texts(name: str) -> dict[str, I18nObject]:
    """The rule's label and help in every language (the SDK template has no ja_JP)."""
    return {"label": I18nObject(**parameter_label(name)), "help": I18nObject(**parameter_help(name))}


def _template(name: str) -> ParameterRule:
    return ParameterRule(name=name, use_template=name, **_texts(name), type=ParameterType.FLOAT)


def customizable_llm_schema(model: str, credentials: Mapping) -> AIModelEntity:
    """The form's values, with AtlasCloud's model list filling the fields left empty (user_model.py)."""
    facts = user_model(model, credentials)
    context_size, max_tokens = facts.context_size, facts.max_tokens
    # Every model reads documents: the plugin sends their text (and page images to vision models).
    features: list[ModelFeature] = [ModelFeature.DOCUMENT]
    if facts.tools:
        features += [ModelFeature.TOOL_CALL, ModelFeature.MULTI_TOOL_CALL, ModelFeature.STREAM_TOOL_CALL]
    if facts.reasoning in ("switchable", "always"):
        features.append(ModelFeature.AGENT_THOUGHT)
    if facts.vision:
        features.append(ModelFeature.VISION)
    structured = facts.structured_output
    if structured:
        features.append(ModelFeature.STRUCTURED_OUTPUT)

    rules = [
        _template(DefaultParameterName.TEMPERATURE.value),
        _template(DefaultParameterName.TOP_P.value),
        ParameterRule(
            name="max_tokens",
            use_template="max_tokens",
            **_texts("max_tokens"),
            type=ParameterType.INT,
            default=min(8192, max_tokens),
            min=1,
            max=max_tokens,
        ),
        _template(DefaultParameterName.PRESENCE_PENALTY.value),
        _template(DefaultParameterName.FREQUENCY_PENALTY.value),
    ]
    if structured:
        rules.append(
            ParameterRule(
                name="response_format",
                use_template="response_format",
                **_texts("response_format"),
                type=ParameterType.STRING,
                options=["text", "json_object", "json_schema"],
            )
        )
        rules.append(
            ParameterRule(
                name="json_schema",
                use_template="json_schema",
                **_texts("json_schema"),
                type=ParameterType.TEXT,
            )
        )
    if facts.reasoning == "switchable":
        rules.append(
            ParameterRule(
                name="thinking",
                **_texts("thinking"),
                type=ParameterType.BOOLEAN,
                default=True,
                required=False,
            )
        )
    return user_added_model(
        model,
        ModelType.LLM,
        credentials,
        {ModelPropertyKey.MODE: "chat", ModelPropertyKey.CONTEXT_SIZE: context_size},
        features,
        rules,
        prices=(facts.input_price, facts.output_price),
    )
