"""Load what the first request needs in the background, after the plugin has said it is ready.

Dify's daemon waits for the plugin's first heartbeat before it routes anything to it, and the
heavy libraries (the openai client, the tokenizer's 1.7 MB table) take most of a second to load.
They are imported lazily, so the heartbeat goes out first, and then loaded here, so that the first
request does not pay for them either (bench/bench_startup.py measures both).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time

# Long enough for the SDK to write its first heartbeat before the loading starts.
START_AFTER_S = 0.05


def load() -> None:
    import openai

    from models.vision_utils.tokens import encoding

    # A throwaway client loads the lazily imported parts: the chat and embeddings resources, the
    # HTTP transport and the TLS context. No request is sent.
    client = openai.OpenAI(api_key="warm-up", base_url="https://api.atlascloud.ai/v1")
    client.chat.completions.with_streaming_response  # noqa: B018
    client.embeddings  # noqa: B018
    client.close()
    with contextlib.suppress(ImportError):
        import httpcore2  # noqa: F401  (httpx2's transport, imported on a client's first request)
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
