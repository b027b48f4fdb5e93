"""Dify prompt messages -> the exact OpenAI chat messages and tools AtlasCloud receives."""

from __future__ import annotations

import pytest
from dify_plugin.entities.model.message import (
    AudioPromptMessageContent,
    DocumentPromptMessageContent,
    ImagePromptMessageContent,
    PromptMessage,
    PromptMessageRole,
    PromptMessageTool,
    SystemPromptMessage,
    TextPromptMessageContent,
    ToolPromptMessage,
    UserPromptMessage,
)
from dify_plugin.errors.model import InvokeBadRequestError

from models.llm.messages import to_openai_messages, to_openai_tools
from provider.errors.mapping import guard


def convert(*messages, convert_image=None) -> list[dict]:
    return to_openai_messages(list(messages), convert_image)


def image(filename: str = "", fmt: str = "png") -> ImagePromptMessageContent:
    return ImagePromptMessageContent(format=fmt, mime_type=f"image/{fmt}", base64_data="AAAA", filename=filename)


def test_each_role_in_order():
    assert convert(
        SystemPromptMessage(content="be brief"),
        UserPromptMessage(content="weather?"),
        ToolPromptMessage(content="sunny", tool_call_id="call_1"),
    ) == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "weather?"},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
    ]


def test_a_developer_message_is_sent_as_system_which_atlascloud_models_know():
    assert convert(
        PromptMessage(role=PromptMessageRole.DEVELOPER, content="rules"),
        PromptMessage(role=PromptMessageRole.SYSTEM, content="more rules"),
    ) == [{"role": "system", "content": "rules"}, {"role": "system", "content": "more rules"}]


def test_a_message_of_no_known_kind_is_refused_with_its_role():
    with pytest.raises(InvokeBadRequestError, match=r"^Unsupported prompt message role: tool$"), guard(None):
        convert(PromptMessage(role=PromptMessageRole.TOOL, content="x"))


def test_empty_contents_are_empty_strings():
    assert convert(UserPromptMessage(content=None), SystemPromptMessage(content=None)) == [
        {"role": "user", "content": ""},
        {"role": "system", "content": ""},
    ]


def test_text_parts_of_system_and_tool_messages_are_joined_by_lines_and_attachments_dropped():
    parts = [TextPromptMessageContent(data="line one"), image("x.png"), TextPromptMessageContent(data="line two")]
    assert convert(SystemPromptMessage(content=parts), ToolPromptMessage(content=parts, tool_call_id="t")) == [
        {"role": "system", "content": "line one\nline two"},
        {"role": "tool", "tool_call_id": "t", "content": "line one\nline two"},
    ]


def test_user_images_go_through_the_converter_in_place():
    def to_url(part: ImagePromptMessageContent) -> dict:
        return {"type": "image_url", "image_url": {"url": f"converted:{part.filename}"}}

    message = UserPromptMessage(content=[TextPromptMessageContent(data="what is it?"), image("cat.png")])
    assert convert(message, convert_image=to_url) == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what is it?"},
                {"type": "image_url", "image_url": {"url": "converted:cat.png"}},
            ],
        }
    ]


def test_images_for_a_model_without_vision_become_a_note_naming_the_file():
    message = UserPromptMessage(content=[image("cat.png"), image(fmt="webp")])
    assert convert(message)[0]["content"] == [
        {"type": "text", "text": "[image 'cat.png' omitted: this model does not accept images]"},
        {"type": "text", "text": "[image 'webp' omitted: this model does not accept images]"},
    ]


def test_documents_and_audio_become_a_note_even_for_a_vision_model():
    document = DocumentPromptMessageContent(
        format="pdf", mime_type="application/pdf", base64_data="AA", filename="a.pdf"
    )
    audio = AudioPromptMessageContent(format="", mime_type="audio/mp3", base64_data="AA")
    message = UserPromptMessage(content=[document, audio])
    assert convert(message, convert_image=lambda part: {"type": "image_url"})[0]["content"] == [
        {"type": "text", "text": "[document 'a.pdf' omitted: this model only accepts text and images]"},
        {"type": "text", "text": "[audio 'file' omitted: this model only accepts text and images]"},
    ]


def test_tools_are_sent_as_functions_with_an_empty_object_schema_when_they_take_nothing():
    tools = [
        PromptMessageTool(name="get_time", description="Current time", parameters={}),
        PromptMessageTool(
            name="search", description="Search", parameters={"type": "object", "properties": {"q": {"type": "string"}}}
        ),
    ]
    assert to_openai_tools(tools) == [
        {
            "type": "function",
            "function": {
                "name": "get_time",
                "description": "Current time",
                "parameters": {"type": "object", "properties": {}},
            },
        },
        {
            "type": "function",
            "function": {
                "name": "search",
                "description": "Search",
                "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
            },
        },
    ]
    assert to_openai_tools(None) == [] and to_openai_tools([]) == []
