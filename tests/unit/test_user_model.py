"""A user-added LLM's facts (models/llm/user_model.py): each typed form value wins over AtlasCloud's
model list, an unusable choice falls back to the safe one, and the list is looked up per endpoint
(a stand-in cache here, no network)."""

from __future__ import annotations

from decimal import Decimal

import pytest

import models.llm.user_model as user_model_module
from models.llm.model_list import ListedModel, ModelListCache
from models.llm.user_model import listed_entry, refuse_if_not_ready, resolve, user_model
from provider.connection import Connection
from provider.errors.tree import NotServed

LISTED = ListedModel(
    id="acme/thinker",
    vision=True,
    features=frozenset({"reasoning", "structured_outputs"}),  # no "tools"
    input_price=Decimal("1"),
    output_price=Decimal("3"),
)


@pytest.mark.parametrize("typed", ["none", "switchable", "always"])
def test_a_typed_reasoning_choice_is_kept(typed: str):
    assert resolve("acme/thinker", {"reasoning": typed}, LISTED).reasoning == typed
    assert resolve("acme/plain", {"reasoning": typed}, None).reasoning == typed


def test_an_unknown_typed_reasoning_choice_means_no_reasoning():
    assert resolve("acme/thinker", {"reasoning": "sometimes"}, LISTED).reasoning == "none"


def test_only_the_word_support_switches_a_typed_feature_on():
    on = resolve("acme/plain", {"vision_support": "support", "structured_output": "support"}, None)
    assert (on.vision, on.structured_output) == (True, True)
    off = resolve("acme/thinker", {"vision_support": "Support", "function_calling": "yes"}, LISTED)
    assert (off.vision, off.tools) == (False, False)


def test_a_listed_model_without_the_tools_feature_gets_no_tool_calls():
    assert resolve("acme/thinker", {}, LISTED).tools is False
    assert resolve("acme/thinker", {}, ListedModel(id="acme/thinker")).tools is True  # ids only: fallback


@pytest.mark.parametrize(
    ("typed", "expected"), [("inline", "inline"), ("template", "template"), ("", "field"), ("tags", "field")]
)
def test_the_reasoning_format_is_one_of_three_and_field_otherwise(typed: str, expected: str):
    assert resolve("acme/thinker", {"reasoning_format": typed}, LISTED).reasoning_format == expected
    assert resolve("acme/thinker", {}, LISTED).reasoning_format == "field"


def test_a_typed_output_price_wins_over_the_lists():
    facts = resolve("acme/thinker", {"output_price": "7.5"}, LISTED)
    assert (facts.input_price, facts.output_price) == (Decimal(1), Decimal("7.5"))


def test_the_facts_keep_the_lists_entry():
    assert resolve("acme/thinker", {}, LISTED).listed is LISTED
    assert resolve("acme/thinker", {}, None).listed is None


# --- looking the model up in its endpoint's list -------------------------------------------------


@pytest.fixture
def lists(monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, ListedModel]]:
    """The list per endpoint base URL, and the endpoints asked."""
    by_endpoint: dict[str, dict[str, ListedModel]] = {
        "https://api.atlascloud.ai/v1": {"acme/thinker": LISTED, "acme/resting": ListedModel("acme/resting", False)},
        "https://gateway.example/v1": {"acme/thinker": ListedModel(id="acme/thinker", context_size=4096)},
    }

    def fetch(connection: Connection) -> dict[str, ListedModel]:
        return by_endpoint[connection.base_url]

    cache = ModelListCache(fetch=fetch)
    monkeypatch.setattr(user_model_module, "model_list_cache", lambda: cache)
    return by_endpoint


def test_the_model_is_looked_up_in_the_list_of_the_endpoint_its_credentials_name(lists):
    assert listed_entry("acme/thinker", {"api_key": "k"}) is LISTED
    gateway = {"api_key": "k", "endpoint_url": "https://gateway.example/v1"}
    assert user_model("acme/thinker", gateway).context_size == 4096
    assert user_model("acme/thinker", {"api_key": "k"}).vision is True
    assert listed_entry("acme/ghost", {"api_key": "k"}) is None


def test_an_endpoint_that_cannot_be_used_has_no_list(lists):
    assert listed_entry("acme/thinker", {"api_key": "k", "endpoint_url": "ftp://nowhere"}) is None


def test_only_a_model_listed_as_not_ready_is_refused(lists):
    refuse_if_not_ready("acme/thinker", {"api_key": "k"})
    refuse_if_not_ready("acme/ghost", {"api_key": "k"})  # not listed: the probe decides
    with pytest.raises(NotServed) as refused:
        refuse_if_not_ready("acme/resting", {"api_key": "k"})
    assert str(refused.value) == (
        "AtlasCloud lists model 'acme/resting' as not ready (is_ready: false), so it cannot be called now; "
        "pick another model, or add this one again once AtlasCloud lists it as ready."
    )
