"""What the reply side needs to know about one model before its reply arrives: how its reasoning
arrives (models/llm/think.py) and its prices (models/llm/cost.py).

Predefined models carry both in the catalog (the `atlascloud:` block of their YAML, written by
tools/build_catalog.py); user-added models get them from their form or AtlasCloud's model list
(models/llm/user_model.py). Everything here is looked up once, before the request is sent, so a
streaming reply never waits for a lookup.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from dify_plugin.entities.model import AIModelEntity, FetchFrom
from dify_plugin.entities.model.llm import LLMUsage

from models.common.catalog import plugin_settings
from models.llm.answer import ThinkOptions
from models.llm.cost import Prices, bill, to_llm_usage, usage_line
from models.llm.dialect import UsageDetails
from models.llm.request import thinking_on
from models.llm.user_model import REASONING_FORMATS, user_model

logger = logging.getLogger(__name__)


def _predefined(schema: AIModelEntity | None) -> bool:
    return schema is not None and schema.fetch_from == FetchFrom.PREDEFINED_MODEL


def reasoning_format(model: str, credentials: Mapping[str, Any], schema: AIModelEntity | None) -> str:
    """`field`, `inline` or `template` (user_model.REASONING_FORMATS)."""
    if _predefined(schema):
        declared = plugin_settings(model).get("reasoning_format")
    else:
        declared = user_model(model, credentials).reasoning_format
    return declared if declared in REASONING_FORMATS else "field"


def _fix_for(model: str, predefined: bool) -> str:
    if predefined:
        return f"set `reasoning_format: template` for {model} in tools/catalog/curated.yaml and rebuild the catalog"
    return (
        f"set 'How reasoning arrives' to 'Template opens <think>' in the settings of model {model} "
        "(Settings -> Model Provider -> AtlasCloud)"
    )


def think_options(
    model: str, credentials: Mapping[str, Any], parameters: Mapping[str, Any], schema: AIModelEntity | None
) -> ThinkOptions:
    """The reply starts inside <think> only when the model declares a template that opens it and
    thinking is not switched off; a lone </think> that nobody declared is logged with its fix."""
    declared = reasoning_format(model, credentials, schema)
    predefined = _predefined(schema)

    def log_lone_close() -> None:
        logger.warning(
            "model %s ended its reasoning with a lone </think> although its reasoning format is '%s': "
            "the text streamed before it was shown as the answer. To stream it as reasoning, %s.",
            model,
            declared,
            _fix_for(model, predefined),
        )

    return ThinkOptions(opened=declared == "template" and thinking_on(parameters), on_lone_close=log_lone_close)


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))  # None ("None") and "" are not numbers either
    except InvalidOperation:
        return None


def model_prices(model: str, credentials: Mapping[str, Any], schema: AIModelEntity | None) -> Prices:
    """The schema's prices (what Dify shows) and the cached-input price, which Dify's schema lacks."""
    pricing = schema.pricing if schema is not None else None
    if pricing is None:
        return Prices(input=None, output=None)
    if _predefined(schema):
        cached = _decimal(plugin_settings(model).get("cached_input_price"))
    else:
        cached = user_model(model, credentials).cached_input_price
    return Prices(
        input=pricing.input, output=pricing.output, cached_input=cached, unit=pricing.unit, currency=pricing.currency
    )


def priced_usage(
    model: str,
    prices: Prices,
    started_at: float,
    prompt_tokens: int,
    completion_tokens: int,
    details: UsageDetails | None,
) -> LLMUsage:
    """Dify's usage for one reply, priced as AtlasCloud bills it; logs the split."""
    charged = bill(prompt_tokens, completion_tokens, details, prices)
    logger.info("%s", usage_line(model, charged, prices))
    return to_llm_usage(charged, prices, time.perf_counter() - started_at if started_at else 0.0)
