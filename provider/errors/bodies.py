"""Reading what a server says when something went wrong, whatever its dialect.

AtlasCloud answers errors with `{code, msg, request_id, data}` (not OpenAI's `{"error": ...}`),
its billing API with OpenAI's shape, and gateways with anything (HTML pages included). Reading
is kept apart from mapping (mapping.py), which decides what Dify is told.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from provider.errors.tree import UpstreamError

MAX_MESSAGE_CHARS = 400
_TAG = re.compile(r"<[^>]*>")
_TITLE = re.compile(r"(?is)<title[^>]*>(.*?)</title>")


def body_of(content: bytes) -> Any:
    """An error reply's JSON, else its text (error pages are HTML or plain text)."""
    try:
        return json.loads(content)
    except ValueError:
        return content.decode("utf-8", "replace")


def readable(body: object) -> str | None:
    """The human message of an error body: AtlasCloud's, OpenAI's, plain text or an HTML page."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, dict):
        for key in ("msg", "message", "detail", "error_description"):
            if isinstance(body.get(key), str) and body[key].strip():
                return clip(body[key])
        nested = body.get("error")
        return readable(nested) if isinstance(nested, dict | str) else None
    if not isinstance(body, str) or not body.strip():
        return None
    if "<" in body and ">" in body:  # an HTML error page from a proxy or CDN
        title = _TITLE.search(body)
        body = html.unescape(_TAG.sub(" ", title.group(1) if title else body))
    return clip(body)


def clip(text: str) -> str:
    """One line of at most MAX_MESSAGE_CHARS characters."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 3] + "..."


def error_of_payload(payload: Any) -> UpstreamError | None:
    """An error object a server sent instead of (or inside) a completion, if this is one.

    Shapes seen: OpenAI's `{"error": {"message", "code", "type"}}` (OpenRouter sends it inside a
    chunk that also has `choices`), AtlasCloud's `{"code", "msg", "request_id"}`, vLLM's
    `{"object": "error", "message", "code"}`.
    """
    if not isinstance(payload, dict):
        return None
    nested = payload.get("error")
    if isinstance(nested, dict) and nested:
        code = nested.get("code") if nested.get("code") not in (None, "") else nested.get("type")
        return UpstreamError(code, readable(nested) or "no details", payload.get("request_id"))
    if isinstance(nested, str) and nested.strip():
        return UpstreamError(payload.get("code"), clip(nested), payload.get("request_id"))
    if payload.get("choices"):
        return None
    is_envelope = "msg" in payload and "code" in payload
    if is_envelope or payload.get("object") == "error":
        code = payload.get("code")
        if is_envelope and str(code) in ("0", "200"):
            return None  # AtlasCloud's success envelope
        return UpstreamError(code or payload.get("type"), readable(payload) or "no details", payload.get("request_id"))
    return None
