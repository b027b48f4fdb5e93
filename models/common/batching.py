"""Greedy, order-keeping batches under a count cap and a cost cap (embeddings, rerank)."""

from __future__ import annotations

from collections.abc import Callable, Sequence


def greedy_batches[T](items: Sequence[T], max_items: int, max_cost: int, cost: Callable[[T], int]) -> list[list[T]]:
    """Consecutive items per batch: a batch closes before the item that would pass either cap
    (an item costlier than `max_cost` alone still gets a batch of its own)."""
    batches: list[list[T]] = []
    current: list[T] = []
    used = 0
    for item in items:
        item_cost = cost(item)
        if current and (len(current) >= max_items or used + item_cost > max_cost):
            batches.append(current)
            current, used = [], 0
        current.append(item)
        used += item_cost
    if current:
        batches.append(current)
    return batches
