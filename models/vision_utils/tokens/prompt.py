"""Offline prompt-token estimates for Dify messages and tools.

Used for `get_num_tokens` (Dify's optional context budgeting) and when AtlasCloud sends no
usage. What is counted is what would be sent: images by their sent dimensions (read from the
header, never decoded, never as base64 text) for a model with vision, and the placeholder
text that replaces them (messages.py) for a model without; documents as their text and page
images (tokens/document.py: from the cached extraction, no page rendered).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from dify_plugin.entities.model.message import (
    AssistantPromptMessage,
    ImagePromptMessageContent,
    PromptMessage,
    PromptMessageTool,
    UserPromptMessage,
)

from models.vision_utils.content import DocumentConverter, text_of, user_content
from models.vision_utils.tokens.text import count_text

# Role markers and separators the chat template adds around every message, and the reply primer.
PER_MESSAGE = 4
REPLY_PRIMER = 3
PER_TOOL = 8

ImageTokenCounter = Callable[[ImagePromptMessageContent], int]
# A part standing for an image by its token count (a document's page images use it too).
COUNTED_IMAGE = "counted_image"
_COUNTED_IMAGE = COUNTED_IMAGE


def count_message_content(
    message: PromptMessage, count_image: ImageTokenCounter | None, count_document: DocumentConverter | None = None
) -> int:
    """Tokens of the content sent for one message; `count_image` is None for models without vision;
    `count_document` gives a document's parts as counted (text, and COUNTED_IMAGE parts)."""
    if not isinstance(message, UserPromptMessage) or not isinstance(message.content, list):
        return count_text(text_of(message))

    def counted(part: ImagePromptMessageContent) -> dict[str, Any]:
        assert count_image is not None
        return {"type": _COUNTED_IMAGE, "tokens": count_image(part)}

    # The same conversion the request uses, so placeholders are counted exactly as sent.
    parts = user_content(message, counted if count_image is not None else None, count_document)
    assert isinstance(parts, list)
    text = "\n".join(part["text"] for part in parts if part["type"] == "text")
    return count_text(text) + sum(part["tokens"] for part in parts if part["type"] == _COUNTED_IMAGE)


def count_prompt_tokens(
    messages: Sequence[PromptMessage],
    tools: Sequence[PromptMessageTool] | None,
    count_image: ImageTokenCounter | None,
    count_document: DocumentConverter | None = None,
) -> int:
    total = REPLY_PRIMER
    for message in messages:
        total += PER_MESSAGE + count_message_content(message, count_image, count_document)
        if isinstance(message, AssistantPromptMessage):
            for call in message.tool_calls:
                total += count_text(call.function.name) + count_text(call.function.arguments or "")
    for tool in tools or []:
        definition = json.dumps(
            {"name": tool.name, "description": tool.description, "parameters": tool.parameters},
            ensure_ascii=False,
        )
        total += PER_TOOL + count_text(definition)
    return total
