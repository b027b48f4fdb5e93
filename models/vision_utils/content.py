"""Dify content parts -> OpenAI content parts: the converter's front door.

Text stays text; an image goes through the image converter when the model has vision, and
becomes a placeholder sentence otherwise; a document goes through the document converter
(document/session.py: its text, and page images for a model with vision), which may give
several parts; any other attachment becomes a placeholder. The
same conversion serves the request and the token count (tokens/prompt.py), so what is counted
is what is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dify_plugin.entities.model.message import (
    DocumentPromptMessageContent,
    ImagePromptMessageContent,
    PromptMessage,
    PromptMessageContentType,
    TextPromptMessageContent,
    UserPromptMessage,
)

ImageConverter = Callable[[ImagePromptMessageContent], dict[str, Any]]
DocumentConverter = Callable[[DocumentPromptMessageContent], list[dict[str, Any]]]


def text_of(message: PromptMessage) -> str:
    """The text parts of a message joined; non-text parts are not text."""
    if isinstance(message.content, str) or message.content is None:
        return message.content or ""
    return "\n".join(part.data for part in message.content if isinstance(part, TextPromptMessageContent))


def placeholder(part: Any, reason: str) -> dict[str, Any]:
    """Text that tells the model an attachment existed without sending it."""
    name = part.filename or part.format or "file"  # every non-text Dify part has both fields
    return {"type": "text", "text": f"[{part.type.value} '{name}' omitted: {reason}]"}


def user_content(
    message: UserPromptMessage, convert_image: ImageConverter | None, convert_document: DocumentConverter | None = None
) -> str | list[dict[str, Any]]:
    """A user message's content as sent; `convert_image` is None for models without vision,
    `convert_document` None where documents are not read."""
    if isinstance(message.content, str) or message.content is None:
        return message.content or ""
    parts: list[dict[str, Any]] = []
    for part in message.content:
        if part.type == PromptMessageContentType.TEXT:
            parts.append({"type": "text", "text": part.data})
        elif part.type == PromptMessageContentType.IMAGE and convert_image is not None:
            parts.append(convert_image(part))
        elif part.type == PromptMessageContentType.IMAGE:
            parts.append(placeholder(part, "this model does not accept images"))
        elif part.type == PromptMessageContentType.DOCUMENT and convert_document is not None:
            parts.extend(convert_document(part))
        else:
            parts.append(placeholder(part, "this model only accepts text and images"))
    return parts


def inline_base64(part: ImagePromptMessageContent | DocumentPromptMessageContent) -> tuple[str, int] | None:
    """(text, offset) of a file part's base64 data, a data URI's payload left uncopied; None for a URL."""
    if part.base64_data:
        return part.base64_data, 0
    if part.url.startswith("data:"):
        comma = part.url.find(",")
        return (part.url, comma + 1) if comma >= 0 else ("", 0)
    return None


def inline_text(part: ImagePromptMessageContent | DocumentPromptMessageContent) -> str:
    """A file part's base64 data as text; empty when it has none (it is a URL)."""
    inline = inline_base64(part)
    if inline is None:
        return ""
    text, start = inline
    return text[start:]
