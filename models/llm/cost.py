"""Token counts -> Dify's usage object, priced as AtlasCloud bills: cached prompt tokens at the
cached-input price.

Dify's price schema (`PriceConfig`: input, output, unit, currency) and its `LLMUsage` have no
cache field, and the SDK's own `_calc_response_usage` prices every prompt token at the input
price. So the plugin builds the usage itself: the prompt price is the sum of its cached and
uncached parts, and the prompt unit price shown is the one that sum implies. Reasoning tokens
are completion tokens (models/llm/dialect.py already counts them in), billed at the output price.
Amounts are rounded as the SDK rounds them (7 decimals, half up).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from dify_plugin.entities.model.llm import LLMUsage

from models.llm.dialect import UsageDetails

_AMOUNT = Decimal("0.0000001")  # the SDK's rounding of a price (AIModel.get_price)
_UNIT_PRICE = Decimal("0.000001")
ZERO = Decimal(0)


@dataclass(frozen=True)
class Prices:
    """A model's prices per `unit` tokens (0.000001: per 1M); None where the model has none."""

    input: Decimal | None
    output: Decimal | None
    cached_input: Decimal | None = None
    unit: Decimal = Decimal("0.000001")
    currency: str = "USD"


@dataclass(frozen=True)
class Bill:
    """One reply's tokens and what each part costs."""

    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int
    reasoning_tokens: int
    uncached_price: Decimal
    cached_price: Decimal
    completion_price: Decimal
    cached_unit_price: Decimal  # what a cached token was priced at (the input price without a cached one)

    @property
    def uncached_tokens(self) -> int:
        return self.prompt_tokens - self.cached_tokens

    @property
    def prompt_price(self) -> Decimal:
        return self.uncached_price + self.cached_price

    @property
    def total_price(self) -> Decimal:
        return self.prompt_price + self.completion_price


def _amount(tokens: int, unit_price: Decimal | None, unit: Decimal) -> Decimal:
    if unit_price is None or tokens <= 0:
        return ZERO
    return (tokens * unit_price * unit).quantize(_AMOUNT, rounding=ROUND_HALF_UP)


def bill(prompt_tokens: int, completion_tokens: int, details: UsageDetails | None, prices: Prices) -> Bill:
    cached = min(details.cached_tokens, prompt_tokens) if details else 0
    cached_unit = prices.cached_input if prices.cached_input is not None else prices.input
    if prices.input is None:  # no price at all: nothing is charged, as the SDK does
        cached_unit = None
    return Bill(
        prompt_tokens=prompt_tokens,
        cached_tokens=cached,
        completion_tokens=completion_tokens,
        reasoning_tokens=details.reasoning_tokens if details else 0,
        uncached_price=_amount(prompt_tokens - cached, prices.input, prices.unit),
        cached_price=_amount(cached, cached_unit, prices.unit),
        completion_price=_amount(completion_tokens, prices.output, prices.unit),
        cached_unit_price=cached_unit if cached_unit is not None else ZERO,
    )


def implied_unit_price(charged: Bill, listed: Decimal | None) -> Decimal:
    """The prompt's average unit price: the input price when nothing came from the cache, else the
    token-weighted mean of the two prices (before rounding), to 6 decimals."""
    if listed is None:
        return ZERO
    if charged.cached_tokens == 0 or charged.prompt_tokens <= 0:
        return listed
    weighted = charged.uncached_tokens * listed + charged.cached_tokens * charged.cached_unit_price
    return (weighted / charged.prompt_tokens).quantize(_UNIT_PRICE, rounding=ROUND_HALF_UP)


def to_llm_usage(charged: Bill, prices: Prices, latency: float) -> LLMUsage:
    priced = prices.input is not None
    return LLMUsage(
        prompt_tokens=charged.prompt_tokens,
        prompt_unit_price=implied_unit_price(charged, prices.input),
        prompt_price_unit=prices.unit if priced else ZERO,
        prompt_price=charged.prompt_price,
        completion_tokens=charged.completion_tokens,
        completion_unit_price=prices.output if prices.output is not None else ZERO,
        completion_price_unit=prices.unit if prices.output is not None else ZERO,
        completion_price=charged.completion_price,
        total_tokens=charged.prompt_tokens + charged.completion_tokens,
        total_price=charged.total_price,
        currency=prices.currency,
        latency=latency,
    )


def _per_million(price: Decimal | None, unit: Decimal) -> str:
    """A unit price as USD per 1M tokens, for the log."""
    if price is None:
        return "-"
    return format((price * unit * 1_000_000).normalize(), "f")


def usage_line(model: str, charged: Bill, prices: Prices) -> str:
    """The log line: each part's tokens, unit price (per 1M tokens) and price."""
    per_m = prices.currency + "/1M"
    return (
        f"usage {model}: prompt {charged.prompt_tokens} = uncached {charged.uncached_tokens} x "
        f"{_per_million(prices.input, prices.unit)} {per_m} = {charged.uncached_price} + cached "
        f"{charged.cached_tokens} x {_per_million(charged.cached_unit_price, prices.unit)} {per_m} = "
        f"{charged.cached_price}; completion {charged.completion_tokens} (reasoning {charged.reasoning_tokens}) x "
        f"{_per_million(prices.output, prices.unit)} {per_m} = {charged.completion_price}; "
        f"total {charged.total_price} {prices.currency}"
    )
