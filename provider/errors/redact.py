"""Secrets out of any text that may reach Dify or the log."""

from __future__ import annotations

import re

# (pattern, replacement): URL credentials, then anything shaped like a key, ours or not.
_SECRET_PATTERNS = (
    (re.compile(r"(?<=://)[^/\s@]+@"), "***@"),
    (re.compile(r"\b(?:apikey|sk|ak)-[A-Za-z0-9_\-]{8,}"), "***"),
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._\-]{8,}"), "Bearer ***"),
)


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Remove the API key (and anything shaped like a key or URL credentials) from `text`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text
