"""A user-added LLM's facts: what the user typed, else AtlasCloud's model list, else a fallback.

Dify pre-fills every form default, so a default cannot be told from a typed value: the fields the
list provides have no default in the form (provider/atlascloud.yaml), and an empty field means
"from AtlasCloud". Models saved before that (with the old defaults filled in) keep those values,
which now count as typed. A model the list does not know, or a gateway whose list has ids only,
gets the fallbacks below, which are the form's old defaults: exactly what it got before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from models.llm.model_list import ListedModel, model_list_cache
from provider.connection import connection_from_credentials
from provider.errors.tree import EndpointError, NotServed
from provider.forms import positive_int, price

FALLBACK_CONTEXT = 131072
FALLBACK_MAX_TOKENS = 16384
REASONING_CHOICES = ("none", "switchable", "always")
# How reasoning arrives (models/llm/think.py): a separate field, inline <think> tags, or a chat
# template that opens <think> in the prompt, so only a lone </think> ends it.
REASONING_FORMATS = ("field", "inline", "template")
# Families whose thinking switch AtlasCloud refuses (MiniMax M3 answers 400 to thinking.type,
# models.dev 2026-10-06): listed as reasoning, they get no switch.
_NO_SWITCH_FAMILIES = ("minimaxai/", "minimax/")


@dataclass(frozen=True)
class UserModel:
    context_size: int
    max_tokens: int
    vision: bool
    tools: bool
    structured_output: bool
    reasoning: str  # one of REASONING_CHOICES
    reasoning_format: str  # one of REASONING_FORMATS
    input_price: Decimal | None
    output_price: Decimal | None
    cached_input_price: Decimal | None
    listed: ListedModel | None  # the list's entry, when the endpoint's list has the model


def _typed(credentials: Mapping, name: str) -> bool:
    return credentials.get(name) not in (None, "")


def _support(credentials: Mapping, name: str, listed: bool | None, fallback: bool) -> bool:
    if _typed(credentials, name):
        return credentials[name] == "support"
    return fallback if listed is None else listed


def _feature(listed: ListedModel | None, name: str) -> bool | None:
    return None if listed is None or listed.features is None else name in listed.features


def _reasoning(model: str, credentials: Mapping, listed: ListedModel | None) -> str:
    if _typed(credentials, "reasoning"):
        chosen = str(credentials["reasoning"])
        return chosen if chosen in REASONING_CHOICES else "none"
    if not _feature(listed, "reasoning"):
        return "none"
    return "always" if model.lower().startswith(_NO_SWITCH_FAMILIES) else "switchable"


def _price(credentials: Mapping, name: str, listed: Decimal | None) -> Decimal | None:
    return price(credentials, name) if _typed(credentials, name) else listed


def listed_entry(model: str, credentials: Mapping) -> ListedModel | None:
    """The model's entry in its endpoint's list (cached; see model_list.py), or None."""
    try:
        connection = connection_from_credentials(credentials)
    except EndpointError:
        return None  # validation says what is wrong with the endpoint
    return model_list_cache().lookup(connection, model)


def resolve(model: str, credentials: Mapping, listed: ListedModel | None) -> UserModel:
    """The facts of `model`; FormError for a typed value that cannot be used."""
    context_size = positive_int(
        credentials, "context_size", listed.context_size if listed and listed.context_size else FALLBACK_CONTEXT
    )
    max_tokens = positive_int(
        credentials, "max_tokens", listed.max_output if listed and listed.max_output else FALLBACK_MAX_TOKENS
    )
    reasoning_format = credentials.get("reasoning_format")  # empty or unknown: "field", below
    return UserModel(
        context_size=context_size,
        max_tokens=max_tokens,
        vision=_support(credentials, "vision_support", listed.vision if listed else None, False),
        tools=_support(credentials, "function_calling", _feature(listed, "tools"), True),
        structured_output=_support(credentials, "structured_output", _feature(listed, "structured_outputs"), False),
        reasoning=_reasoning(model, credentials, listed),
        reasoning_format=reasoning_format if reasoning_format in REASONING_FORMATS else "field",
        input_price=_price(credentials, "input_price", listed.input_price if listed else None),
        output_price=_price(credentials, "output_price", listed.output_price if listed else None),
        cached_input_price=_price(credentials, "cached_input_price", listed.cached_input_price if listed else None),
        listed=listed,
    )


def user_model(model: str, credentials: Mapping) -> UserModel:
    return resolve(model, credentials, listed_entry(model, credentials))


def refuse_if_not_ready(model: str, credentials: Mapping) -> None:
    """NotServed when the endpoint's list says the model is `is_ready: false`."""
    listed = listed_entry(model, credentials)
    if listed is not None and not listed.ready:
        raise NotServed(
            f"AtlasCloud lists model '{model}' as not ready (is_ready: false), so it cannot be called now; "
            "pick another model, or add this one again once AtlasCloud lists it as ready."
        )
