"""Dify prompt messages -> OpenAI chat messages for AtlasCloud.

Assistant turns that Dify replays carry our own `<think>` block in their text. It is stripped
from the content (resending it wastes tokens and confuses models) and, when the turn made tool
calls, sent back as `reasoning_content`: thinking models on AtlasCloud (DeepSeek, Kimi, GLM)
reject a tool loop whose assistant turns lost their reasoning. Kimi and DeepSeek with thinking
on demand the field on EVERY assistant tool-call turn, even one that had no reasoning
("thinking is enabled but reasoning_content is missing"): for them it is sent, empty if need be.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from dify_plugin.entities.model.message import (
    AssistantPromptMessage,
    PromptMessage,
    PromptMessageTool,
    SystemPromptMessage,
    ToolPromptMessage,
    UserPromptMessage,
)

from models.vision_utils.content import DocumentConverter, ImageConverter, text_of, user_content
from provider.errors.tree import UserInputError

# The plugin's own reasoning block (see stream.py); only a leading one is ours.
_THINK_BLOCK = re.compile(r"^\s*<think>\n?(.*?)\n?</think>\s*", re.DOTALL)


def split_reasoning(text: str) -> tuple[str | None, str]:
    """(reasoning, answer) from text that may start with a `<think>` block."""
    match = _THINK_BLOCK.match(text)
    if not match:
        return None, text
    return match.group(1).strip() or None, text[match.end() :]


def assistant_message(message: AssistantPromptMessage, always_replay: bool) -> dict[str, Any]:
    reasoning, answer = split_reasoning(text_of(message))
    if isinstance(message.opaque_body, dict) and isinstance(message.opaque_body.get("reasoning_content"), str):
        reasoning = message.opaque_body["reasoning_content"]
    converted: dict[str, Any] = {"role": "assistant", "content": answer}
    if message.tool_calls:
        converted["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.function.name, "arguments": call.function.arguments or "{}"},
            }
            for call in message.tool_calls
        ]
        if reasoning or always_replay:
            converted["reasoning_content"] = reasoning or ""
    return converted


def to_openai_messages(
    messages: Sequence[PromptMessage],
    convert_image: ImageConverter | None,
    always_replay: bool = False,
    convert_document: DocumentConverter | None = None,
) -> list[dict[str, Any]]:
    """Convert in order; `convert_image` is None for models without vision; `always_replay` sends
    `reasoning_content` on every assistant tool-call turn; `convert_document` reads documents."""
    converted: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, UserPromptMessage):
            converted.append({"role": "user", "content": user_content(message, convert_image, convert_document)})
        elif isinstance(message, AssistantPromptMessage):
            converted.append(assistant_message(message, always_replay))
        elif isinstance(message, ToolPromptMessage):
            converted.append({"role": "tool", "tool_call_id": message.tool_call_id, "content": text_of(message)})
        elif isinstance(message, SystemPromptMessage) or message.role.value in ("system", "developer"):
            # AtlasCloud's models know "system"; "developer" is OpenAI-only.
            converted.append({"role": "system", "content": text_of(message)})
        else:
            raise UserInputError(f"Unsupported prompt message role: {message.role.value}")
    return converted


def to_openai_tools(tools: Sequence[PromptMessageTool] | None) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.parameters or {"type": "object", "properties": {}},
            },
        }
        for tool in tools or []
    ]
