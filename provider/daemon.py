"""The limits Dify's plugin daemon enforces on every plugin (dify-plugin-daemon; see docs/limits-and-time.md).

A stdout line longer than the daemon's buffer kills the plugin and every session on it, so each
reply that can grow (embeddings, rerank results, audio) is planned against LINE_CAP_BYTES.
"""

from __future__ import annotations

# The daemon's stdout buffer: one line and its newline must fit.
LINE_CAP_BYTES = 5 * 1024 * 1024
# PLUGIN_MAX_EXECUTION_TIMEOUT: the daemon stops every invocation after this, in every mode.
INVOCATION_LIMIT_S = 600
