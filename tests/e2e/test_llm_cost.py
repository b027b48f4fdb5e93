"""Cost as AtlasCloud bills it, through the real plugin process (issue 19, part 3).

The simulator reports a system prompt it has seen before on the same model as cached prompt
tokens (whole 64-token blocks), in OpenAI's or DeepSeek's usage dialect. Every expected price is
computed by hand here from the catalog's prices: DeepSeek V3.2 costs 0.26 USD per 1M input
tokens, 0.13 per 1M cached input tokens and 0.38 per 1M output tokens.
"""

from __future__ import annotations

import json
import time
from decimal import ROUND_HALF_UP, Decimal

import pytest

from testkit.plugin_driver import PluginProcess, llm_request
from testkit.simulator.behaviour import prompt_tokens

MODEL = "deepseek-ai/deepseek-v3.2"
INPUT, CACHED, OUTPUT = Decimal("0.26"), Decimal("0.13"), Decimal("0.38")
SYSTEM = "You are a careful assistant; answer in one short sentence. " * 80  # 4,720 characters


def by_hand(tokens: int, per_million: Decimal) -> Decimal:
    return (tokens * per_million / 1_000_000).quantize(Decimal("0.0000001"), rounding=ROUND_HALF_UP)


def plugin_log(plugin: PluginProcess, needle: str, after: int) -> str:
    for _ in range(100):  # the SDK logs to stdout in both modes; in serverless mode it may trail
        found = [json.loads(line)["data"]["message"] for line in plugin.stdout_lines[after:] if needle in line]
        if found:
            return found[-1]
        time.sleep(0.05)
    raise AssertionError(f"no {needle!r} in the plugin log")


@pytest.mark.parametrize("usage_dialect", ["openai", "deepseek"])
@pytest.mark.parametrize("stream", [True, False])
def test_cached_prompt_tokens_cost_the_cached_price(plugin, sim, creds, usage_dialect, stream):
    sim.state.variants.prompt_cache = True
    sim.state.variants.usage_dialect = usage_dialect
    question = f"hello {usage_dialect} {stream}"
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]
    request = llm_request(MODEL, creds, messages, parameters={"thinking": True}, stream=stream)

    first = plugin.request(request)
    assert first.ok, first.error
    prompt = prompt_tokens(sim.last_body())
    uncached = first.usage()
    assert uncached["prompt_tokens"] == prompt
    assert Decimal(uncached["prompt_price"]) == by_hand(prompt, INPUT)
    assert Decimal(uncached["prompt_unit_price"]) == INPUT
    assert Decimal(uncached["completion_price"]) == by_hand(uncached["completion_tokens"], OUTPUT)

    before = len(plugin.stdout_lines)
    second = plugin.request(request)
    assert second.ok, second.error
    cached_tokens = len(SYSTEM) // 4 // 64 * 64
    assert cached_tokens == 1152
    usage = second.usage()
    prompt_price = by_hand(cached_tokens, CACHED) + by_hand(prompt - cached_tokens, INPUT)
    assert Decimal(usage["prompt_price"]) == prompt_price
    assert Decimal(usage["total_price"]) == prompt_price + by_hand(usage["completion_tokens"], OUTPUT)
    assert Decimal(usage["total_price"]) < Decimal(uncached["total_price"])
    implied = (cached_tokens * CACHED + (prompt - cached_tokens) * INPUT) / prompt
    assert Decimal(usage["prompt_unit_price"]) == implied.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)

    line = plugin_log(plugin, f"usage {MODEL}: prompt {prompt} ", before)
    reasoning = len(f"The user wrote: {question!r}. I will answer briefly.".split())  # the simulator's reasoning
    assert f"uncached {prompt - cached_tokens} x 0.26 USD/1M = {by_hand(prompt - cached_tokens, INPUT)}" in line
    assert f"cached {cached_tokens} x 0.13 USD/1M = {by_hand(cached_tokens, CACHED)}" in line
    assert f"completion {usage['completion_tokens']} (reasoning {reasoning}) x 0.38 USD/1M" in line
    assert f"total {Decimal(usage['total_price'])} USD" in line
