"""How a rerank model is run: LLM ranker or native /rerank, and the ranker's capabilities."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dify_plugin.entities.model import AIModelEntity, ModelFeature, ModelPropertyKey, ModelType

from models.common.model import user_added_model
from provider.forms import positive_int


@dataclass(frozen=True)
class RerankSettings:
    protocol: str = "llm"  # "llm": a chat model grades documents; "native": POST /rerank
    context_size: int = 131072
    structured_output: bool = True
    disable_thinking: bool = False
    vision: bool = False
    native_scores: str = "probability"  # or "logits" (sigmoid applied)


def settings_from_yaml(block: Mapping[str, Any], features: list[ModelFeature], context_size: int) -> RerankSettings:
    """A predefined ranker: the `atlascloud.ranker` block of its YAML."""
    return RerankSettings(
        protocol="llm",
        context_size=context_size,
        structured_output=bool(block.get("structured_output", True)),
        disable_thinking=bool(block.get("disable_thinking", False)),
        vision=ModelFeature.VISION in features,
    )


def settings_from_form(credentials: Mapping) -> RerankSettings:
    """A user-added rerank model: any AtlasCloud chat model, or a native /rerank endpoint."""
    return RerankSettings(
        protocol="native" if credentials.get("rerank_protocol") == "native" else "llm",
        context_size=positive_int(credentials, "context_size", 131072),
        structured_output=credentials.get("structured_output", "support") == "support",
        disable_thinking=credentials.get("reasoning") == "switchable",
        vision=credentials.get("vision_support") == "support",
        native_scores="logits" if credentials.get("native_scores") == "logits" else "probability",
    )


def customizable_rerank_schema(model: str, credentials: Mapping) -> AIModelEntity:
    settings = settings_from_form(credentials)
    return user_added_model(
        model,
        ModelType.RERANK,
        credentials,
        {ModelPropertyKey.CONTEXT_SIZE: settings.context_size},
        [ModelFeature.VISION] if settings.vision and settings.protocol == "llm" else [],
    )
