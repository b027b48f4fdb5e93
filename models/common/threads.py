"""Work on real threads, from a request's greenlet.

The plugin runs under gevent (dify_plugin monkey-patches at import), where every session is a
greenlet on one OS thread. CPU-heavy work that releases the GIL (Pillow decoding, resizing,
encoding) goes to gevent's pool of real threads (`run_blocking`), so heartbeats and other
sessions keep moving. Concurrent upstream calls of one request (`fan_out`) use a thread pool,
which gevent turns into cooperative greenlets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

try:
    from gevent import get_hub, monkey
except ImportError:  # pragma: no cover - gevent always comes with dify_plugin
    get_hub = monkey = None


def run_blocking[T](work: Callable[..., T], *args: Any) -> T:
    if monkey is None or not monkey.is_module_patched("threading"):
        return work(*args)
    return get_hub().threadpool.apply(work, args)


def fan_out[T, R](work: Callable[[T], R], items: Sequence[T], max_workers: int) -> list[R]:
    """`work(item)` for every item, at most `max_workers` at once; results in the items' order.
    The first failure is raised once every started call has ended."""
    with ThreadPoolExecutor(max_workers=min(max_workers, max(len(items), 1))) as pool:
        return list(pool.map(work, items))
