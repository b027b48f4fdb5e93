"""Small sentence helpers shared by every message the plugin writes."""

from __future__ import annotations


def sentence(text: str) -> str:
    """`text` ending in exactly one full stop (servers often end their messages with one)."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def capitalised(text: str) -> str:
    """`text` as the start of a sentence ("the endpoint x" -> "The endpoint x")."""
    return text[:1].upper() + text[1:]


def with_request_id(text: str, request_id: str | None) -> str:
    return f"{text} (request id: {request_id})" if request_id else text
