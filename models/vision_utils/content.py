"""Dify content parts -> OpenAI content parts: the converter's front door.

Text stays text; an image goes through the image converter when the model has vision, and
becomes a placeholder sentence otherwise; any other attachment becomes a placeholder too. The
same conversion serves the request and the token count (tokens/prompt.py), so what is counted
is what is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dify_plugin.entities.model.message import (
    ImagePromptMessageContent,
    PromptMessage,
    PromptMessageContentType,
    TextPromptMessageContent,
    UserPromptMessage,
)

ImageConverter = Callable[[ImagePromptMessageContent], dict[str, Any]]


def text_of(message: PromptMessage) -> str:
    """The text parts of a message joined; non-text parts are not text."""
    if isinstance(message.content, str) or message.content is None:
        return message.content or ""
    return "\n".join(part.data for part in message.content if isinstance(part, TextPromptMessageContent))


def placeholder(part: Any, reason: str) -> dict[str, Any]:
    """Text that tells the model an attachment existed without sending it."""
    name = getattr(part, "filename", "") or getattr(part, "format", "") or "file"
    return {"type": "text", "text": f"[{part.type.value} '{name}' omitted: {reason}]"}


def user_content(message: UserPromptMessage, convert_image: ImageConverter | None) -> str | list[dict[str, Any]]:
    """A user message's content as sent; `convert_image` is None for models without vision."""
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
        else:
            parts.append(placeholder(part, "this model only accepts text and images"))
    return parts
