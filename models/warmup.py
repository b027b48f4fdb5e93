"""Load what requests need, in the background, after the plugin has said it is ready.

Dify's daemon waits for the plugin's first heartbeat before it routes anything to it. The HTTP
client (httpx) is already loaded by the SDK by then; what is left is the TLS roots and the
tokenizer's 1.7 MB table, about 0.15 s. They are loaded lazily, so the heartbeat goes out first,
and then here, so that a request does not pay for them either (bench/bench_startup.py measures both).
"""

from __future__ import annotations

import os
import threading
import time

# Long enough for the SDK to write its first heartbeat before the loading starts.
START_AFTER_S = 0.05


def load() -> None:
    from models.vision_utils.tokens import encoding
    from provider.client import tls_context

    tls_context()
    time.sleep(0)  # a request that arrived meanwhile goes first (greenlets never pre-empt)
    encoding()


def warm_up() -> threading.Thread | None:
    """Serverless instances are started for a request that is already waiting: load at once.
    Under the daemon's local runtime plugins start long before anyone calls them: load after the
    first heartbeat, on a thread (a greenlet, under the SDK's gevent) of its own."""
    if os.environ.get("INSTALL_METHOD") == "serverless":
        load()
        return None
    return warm_up_in_background()


def warm_up_in_background() -> threading.Thread:
    """Start loading in the background, a moment after the caller goes on."""

    def run() -> None:
        time.sleep(START_AFTER_S)
        load()

    thread = threading.Thread(target=run, name="atlascloud-warm-up", daemon=True)
    thread.start()
    return thread
