"""Run CPU-heavy image work off the gevent event loop.

The plugin runs under gevent (dify_plugin monkey-patches at import), where every session is a
greenlet on one OS thread. Pillow releases the GIL while it decodes, resizes and encodes, so
running that work on gevent's pool of real threads keeps heartbeats and other sessions moving
while a 12-image request is converted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

try:
    from gevent import get_hub, monkey
except ImportError:  # pragma: no cover - gevent always comes with dify_plugin
    get_hub = monkey = None


def run_blocking[T](work: Callable[..., T], *args: Any) -> T:
    if monkey is None or not monkey.is_module_patched("threading"):
        return work(*args)
    return get_hub().threadpool.apply(work, args)
