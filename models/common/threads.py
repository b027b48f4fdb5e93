"""Work on real threads, from a request's greenlet.

The plugin runs under gevent (dify_plugin monkey-patches at import), where every session is a
greenlet on one OS thread. CPU-heavy work that releases the GIL (Pillow decoding, resizing,
encoding) goes to gevent's pool of real threads (`run_blocking`), so heartbeats and other
sessions keep moving. Concurrent upstream calls of one request (`fan_out`) use a thread pool,
which gevent turns into cooperative greenlets.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from typing import Any

from gevent import get_hub, monkey  # always installed: dify_plugin runs on it


def run_blocking[T](work: Callable[..., T], *args: Any) -> T:
    if not monkey.is_module_patched("threading"):
        return work(*args)
    return get_hub().threadpool.apply(work, args)


def fan_out[T, R](work: Callable[[T], R], items: Sequence[T], max_workers: int) -> list[R]:
    """`work(item)` for every item, at most `max_workers` at once; results in the items' order.
    The first failure is raised once every started call has ended."""
    with ThreadPoolExecutor(max_workers=min(max_workers, max(len(items), 1))) as pool:
        return list(pool.map(work, items))


def fan_out_in_order[T, R](work: Callable[[T], R], items: Sequence[T], max_workers: int) -> Iterator[R]:
    """`work(item)` for every item, at most `max_workers` at once, yielded in the items' order as
    soon as each is ready (a stream can start before the last call ends).

    An item is started only when fewer than `max_workers` results are pending, so at most
    `max_workers` results are held at a time. A failure is raised when its turn comes; items not
    started by then are never started (nor when the consumer stops early). Calls already running
    finish in the background: their work (a billed job, say) cannot be taken back."""
    pool = ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(items))))
    pending: deque[Future[R]] = deque()
    upcoming = iter(items)
    try:
        for item in islice(upcoming, max_workers):
            pending.append(pool.submit(work, item))
        while pending:
            result = pending.popleft().result()
            for item in islice(upcoming, 1):
                pending.append(pool.submit(work, item))
            yield result
    finally:
        pool.shutdown(wait=False)  # never more calls than workers: nothing waits in its queue
