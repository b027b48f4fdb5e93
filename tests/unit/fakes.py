"""Stand-ins shared by the unit tests: a zero-priced LLMUsage and a fake monotonic clock."""

from __future__ import annotations

from decimal import Decimal

from dify_plugin.entities.model.llm import LLMUsage

ZERO = Decimal(0)


def usage_of(prompt: int, completion: int) -> LLMUsage:
    """What the SDK's usage calculator returns, minus prices (the stream code only passes it on)."""
    return LLMUsage(
        prompt_tokens=prompt,
        prompt_unit_price=ZERO,
        prompt_price_unit=ZERO,
        prompt_price=ZERO,
        completion_tokens=completion,
        completion_unit_price=ZERO,
        completion_price_unit=ZERO,
        completion_price=ZERO,
        total_tokens=prompt + completion,
        total_price=ZERO,
        currency="USD",
        latency=0.0,
    )


class Clock:
    """time.monotonic and a sleep that advances it, so retries and deadlines run instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
