"""Load, before the first heartbeat, what the first request would otherwise wait for.

Dify's daemon routes nothing to a plugin before its first heartbeat, and a request may be waiting
for it then (a plugin just installed or restarted). The HTTP client (httpx) is loaded by the SDK
itself; what is left is the TLS roots (20 ms, every first request) and the tokenizer (~100 ms:
Dify's chat apps count the prompt's tokens before every call). Loading them in the background
after the heartbeat was tried: a request arriving meanwhile waits behind the tokenizer, whose
construction holds the GIL in one piece, even on a thread of its own. Nothing heavier is loaded:
the openai client is not used at all (provider/client.py). bench/bench_startup.py measures the
heartbeat against a minimal plugin and the first requests against the baseline build.
"""

from __future__ import annotations

import logging

from provider.errors.tree import EncodingFileError

logger = logging.getLogger(__name__)


def warm_up() -> None:
    from models.vision_utils.tokens.text import encoding
    from provider.client import tls_context

    tls_context()
    try:
        encoding()
    except EncodingFileError as error:  # chat still works; token counts report this again when asked
        logger.error(str(error))
