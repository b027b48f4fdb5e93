"""Offline prompt-token estimates for Dify messages and tools.

Used for `get_num_tokens` (Dify's optional context budgeting) and when AtlasCloud sends no
usage. Images count by their sent dimensions, never as base64 text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from dify_plugin.entities.model.message import (
    AssistantPromptMessage,
    ImagePromptMessageContent,
    PromptMessage,
    PromptMessageTool,
)

from models.llm.messages import text_of
from models.vision_utils.tokens import count_text

# Role markers and separators the chat template adds around every message, and the reply primer.
PER_MESSAGE = 4
REPLY_PRIMER = 3
PER_TOOL = 8

ImageTokenCounter = Callable[[ImagePromptMessageContent], int]


def count_prompt_tokens(
    messages: Sequence[PromptMessage],
    tools: Sequence[PromptMessageTool] | None,
    count_image: ImageTokenCounter,
) -> int:
    total = REPLY_PRIMER
    for message in messages:
        total += PER_MESSAGE + count_text(text_of(message))
        if isinstance(message.content, list):
            total += sum(count_image(part) for part in message.content if isinstance(part, ImagePromptMessageContent))
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
