"""Offline prompt-token estimates (get_num_tokens, the usage fallback) on messages, images and tools.

Expected counts are pinned cl100k_base token ids, never computed with the plugin's own counter:
"hello world" = [15339, 1917] (OpenAI's published example), "get_weather" = [456, 70464],
'{"city": "Oslo"}' = [5018, 9103, 794, 330, 29967, 385, 9388].
"""

from __future__ import annotations

from dify_plugin.entities.model.message import (
    AssistantPromptMessage,
    ImagePromptMessageContent,
    PromptMessageTool,
    TextPromptMessageContent,
    UserPromptMessage,
)

from models.vision_utils.tokens.prompt import count_prompt_tokens

HELLO_WORLD = 2
GET_WEATHER = 2
OSLO_ARGUMENTS = 7
REPLY_PRIMER, PER_MESSAGE, PER_TOOL = 3, 4, 8  # the chat template's overhead the estimate adds

Call = AssistantPromptMessage.ToolCall


def image(filename: str = "photo.png") -> ImagePromptMessageContent:
    return ImagePromptMessageContent(format="png", mime_type="image/png", base64_data="A" * 40_000, filename=filename)


def count(messages, tools=None, image_tokens: dict[str, int] | None = None) -> int:
    return count_prompt_tokens(messages, tools, lambda part: (image_tokens or {})[part.filename])


def test_an_empty_prompt_costs_the_reply_primer_only():
    assert count([]) == REPLY_PRIMER


def test_each_message_costs_its_text_plus_the_template_markers():
    one = UserPromptMessage(content="hello world")
    assert count([one]) == REPLY_PRIMER + PER_MESSAGE + HELLO_WORLD
    assert count([one, one]) == REPLY_PRIMER + 2 * (PER_MESSAGE + HELLO_WORLD)


def test_images_count_by_the_counter_never_as_base64_text():
    message = UserPromptMessage(content=[TextPromptMessageContent(data="hello world"), image("a.png"), image("b.png")])
    tokens = {"a.png": 100, "b.png": 30}  # each image by its own size, as the counter says
    assert count([message], image_tokens=tokens) == REPLY_PRIMER + PER_MESSAGE + HELLO_WORLD + 130


def test_text_parts_of_one_message_count_as_their_lines():
    parts = [TextPromptMessageContent(data="hello world"), TextPromptMessageContent(data="hello world")]
    newline = 1  # "hello world\nhello world": the two texts and the line break between them
    assert count([UserPromptMessage(content=parts)]) == REPLY_PRIMER + PER_MESSAGE + 2 * HELLO_WORLD + newline


def test_tool_call_names_and_arguments_of_assistant_turns_count():
    turn = AssistantPromptMessage(
        content="",
        tool_calls=[
            Call(
                id="a",
                type="function",
                function=Call.ToolCallFunction(name="get_weather", arguments='{"city": "Oslo"}'),
            ),
            Call(id="b", type="function", function=Call.ToolCallFunction(name="get_weather", arguments="")),
        ],
    )
    assert count([turn]) == REPLY_PRIMER + PER_MESSAGE + GET_WEATHER + OSLO_ARGUMENTS + GET_WEATHER


def test_each_tool_definition_counts_as_its_json_with_characters_kept_as_they_are():
    tool = PromptMessageTool(name="weather", description="Météo à Paris", parameters={"type": "object"})
    # '{"name": "weather", "description": "Météo à Paris", "parameters": {"type": "object"}}' is 25
    # cl100k tokens; escaped as \u00e9 it would be 37.
    assert count([], [tool]) == REPLY_PRIMER + PER_TOOL + 25
    assert count([], [tool, tool]) == REPLY_PRIMER + 2 * (PER_TOOL + 25)
    assert count([], None) == count([], []) == REPLY_PRIMER
