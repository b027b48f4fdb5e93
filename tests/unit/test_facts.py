"""What the reply side knows about a model before its reply arrives (models/llm/facts.py): how its
reasoning arrives (declared in the catalog for predefined models, in the form for user-added ones),
the warning that names the fix for an undeclared lone </think>, its prices with the cached-input
price, and the priced usage with its log line and latency."""

from __future__ import annotations

import logging
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from dify_plugin.entities.model import AIModelEntity, FetchFrom, ModelType, PriceConfig

import models.llm.facts as facts
from models.llm.cost import Prices
from models.llm.dialect import UsageDetails
from models.llm.facts import model_prices, priced_usage, reasoning_format, think_options
from models.llm.model_list import ListedModel
from tests.unit.fakes import stub_model_list

LLM_DIR = Path(__file__).resolve().parents[2] / "models" / "llm"
PREDEFINED = "deepseek-ai/deepseek-v3.2"  # reasoning_format field, cached price 0.13
USER = "acme/thinker"
CREDENTIALS = {"api_key": "k"}


def predefined(model: str = PREDEFINED) -> AIModelEntity:
    path = LLM_DIR / f"{model.replace('/', '__')}.yaml"
    return AIModelEntity(**yaml.safe_load(path.read_text(encoding="utf-8")))


def user_schema(pricing: PriceConfig | None = None) -> AIModelEntity:
    return AIModelEntity(
        model=USER,
        label={"en_US": USER},
        model_type=ModelType.LLM,
        fetch_from=FetchFrom.CUSTOMIZABLE_MODEL,
        model_properties={},
        parameter_rules=[],
        pricing=pricing,
    )


@pytest.fixture(autouse=True)
def listed(monkeypatch: pytest.MonkeyPatch) -> dict[str, ListedModel]:
    """AtlasCloud's model list as user_model.py sees it (no network)."""
    return stub_model_list(monkeypatch)


@pytest.fixture
def catalog_says(monkeypatch: pytest.MonkeyPatch):
    """Give PREDEFINED another `atlascloud:` block, as tools/catalog/curated.yaml may."""

    def install(block: dict[str, Any]) -> None:
        real = facts.plugin_settings
        monkeypatch.setattr(facts, "plugin_settings", lambda model: block if model == PREDEFINED else real(model))

    return install


# --- how reasoning arrives ---------------------------------------------------------------------------


def test_a_predefined_model_reads_its_reasoning_format_from_the_catalog(catalog_says):
    assert reasoning_format(PREDEFINED, CREDENTIALS, predefined()) == "field"
    catalog_says({"reasoning_format": "inline"})
    assert reasoning_format(PREDEFINED, CREDENTIALS, predefined()) == "inline"
    catalog_says({"reasoning_format": "tags"})  # not one of the three
    assert reasoning_format(PREDEFINED, CREDENTIALS, predefined()) == "field"
    catalog_says({})
    assert reasoning_format(PREDEFINED, CREDENTIALS, predefined()) == "field"


def test_a_user_added_model_reads_its_reasoning_format_from_its_form():
    assert reasoning_format(USER, {**CREDENTIALS, "reasoning_format": "inline"}, user_schema()) == "inline"
    assert reasoning_format(USER, {**CREDENTIALS, "reasoning_format": "template"}, None) == "template"
    assert reasoning_format(USER, CREDENTIALS, user_schema()) == "field"


def test_the_reply_starts_inside_think_only_for_a_declared_template_with_thinking_on(catalog_says):
    template = {**CREDENTIALS, "reasoning_format": "template"}
    assert think_options(USER, template, {}, user_schema()).opened is True
    assert think_options(USER, template, {"thinking": False}, user_schema()).opened is False
    assert think_options(USER, template, {"reasoning_effort": "none"}, user_schema()).opened is False
    assert think_options(USER, {**CREDENTIALS, "reasoning_format": "inline"}, {}, user_schema()).opened is False
    assert think_options(PREDEFINED, template, {}, predefined()).opened is False  # the catalog decides
    catalog_says({"reasoning_format": "template"})
    assert think_options(PREDEFINED, CREDENTIALS, {}, predefined()).opened is True


def test_an_undeclared_lone_close_logs_the_catalog_fix_for_a_predefined_model(caplog):
    options = think_options(PREDEFINED, CREDENTIALS, {}, predefined())
    with caplog.at_level(logging.WARNING, logger="models.llm.facts"):
        options.on_lone_close()
    assert caplog.messages == [
        f"model {PREDEFINED} ended its reasoning with a lone </think> although its reasoning format is 'field': "
        "the text streamed before it was shown as the answer. To stream it as reasoning, "
        f"set `reasoning_format: template` for {PREDEFINED} in tools/catalog/curated.yaml and rebuild the catalog."
    ]


def test_an_undeclared_lone_close_logs_the_form_fix_for_a_user_added_model(caplog):
    options = think_options(USER, {**CREDENTIALS, "reasoning_format": "inline"}, {}, user_schema())
    with caplog.at_level(logging.WARNING, logger="models.llm.facts"):
        options.on_lone_close()
    assert caplog.messages == [
        f"model {USER} ended its reasoning with a lone </think> although its reasoning format is 'inline': "
        "the text streamed before it was shown as the answer. To stream it as reasoning, "
        f"set 'How reasoning arrives' to 'Template opens <think>' in the settings of model {USER} "
        "(Settings -> Model Provider -> AtlasCloud)."
    ]


# --- prices ------------------------------------------------------------------------------------------------


def test_a_predefined_model_is_priced_from_its_schema_and_the_catalogs_cached_price(catalog_says):
    assert model_prices(PREDEFINED, CREDENTIALS, predefined()) == Prices(
        input=Decimal("0.26"), output=Decimal("0.38"), cached_input=Decimal("0.13")
    )
    catalog_says({"cached_input_price": "not a price"})
    assert model_prices(PREDEFINED, CREDENTIALS, predefined()).cached_input is None
    catalog_says({})
    assert model_prices(PREDEFINED, CREDENTIALS, predefined()).cached_input is None


def test_a_user_added_model_gets_its_cached_price_from_the_form_else_the_list(listed):
    pricing = PriceConfig(input=Decimal("1"), output=Decimal("2"), unit=Decimal("0.001"), currency="RMB")
    typed = model_prices(USER, {**CREDENTIALS, "cached_input_price": "0.25"}, user_schema(pricing))
    assert typed == Prices(
        input=Decimal(1), output=Decimal(2), cached_input=Decimal("0.25"), unit=Decimal("0.001"), currency="RMB"
    )
    listed[USER] = ListedModel(id=USER, cached_input_price=Decimal("0.5"))
    assert model_prices(USER, CREDENTIALS, user_schema(pricing)).cached_input == Decimal("0.5")


def test_a_model_without_a_schema_or_pricing_has_no_prices():
    assert model_prices(USER, CREDENTIALS, None) == Prices(input=None, output=None)
    assert model_prices(USER, CREDENTIALS, user_schema(None)) == Prices(input=None, output=None)


# --- the usage Dify gets ---------------------------------------------------------------------------------


def test_the_usage_is_priced_and_logged_once_with_the_model(caplog):
    prices = Prices(input=Decimal("1"), output=Decimal("2"))
    with caplog.at_level(logging.INFO, logger="models.llm.facts"):
        usage = priced_usage(USER, prices, 0.0, 1000, 10, UsageDetails(cached_tokens=0, reasoning_tokens=4))
    assert (usage.prompt_price, usage.completion_price) == (Decimal("0.001"), Decimal("0.00002"))
    assert caplog.messages == [
        f"usage {USER}: prompt 1000 = uncached 1000 x 1 USD/1M = 0.0010000 + cached 0 x 1 USD/1M = 0; "
        "completion 10 (reasoning 4) x 2 USD/1M = 0.0000200; total 0.0010200 USD"
    ]


def test_the_latency_runs_from_the_sdks_start_and_is_zero_without_one():
    prices = Prices(input=None, output=None)
    assert priced_usage(USER, prices, 0.0, 1, 1, None).latency == 0.0
    started = time.perf_counter() - 5.0
    latency = priced_usage(USER, prices, started, 1, 1, None).latency
    assert 5.0 <= latency <= time.perf_counter() - started
