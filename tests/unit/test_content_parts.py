"""Dify content parts -> the OpenAI parts sent: text as is, images through the converter or a
placeholder, documents through the document converter, anything else a placeholder; and the
inline base64 of a file part, read without copying a data URI's payload."""

from __future__ import annotations

from typing import Any

from dify_plugin.entities.model.message import (
    AssistantPromptMessage,
    AudioPromptMessageContent,
    DocumentPromptMessageContent,
    ImagePromptMessageContent,
    TextPromptMessageContent,
    UserPromptMessage,
    VideoPromptMessageContent,
)

from models.vision_utils.content import inline_base64, inline_text, placeholder, text_of, user_content


def image(**fields: Any) -> ImagePromptMessageContent:
    return ImagePromptMessageContent(**{"format": "png", "mime_type": "image/png", **fields})


def document(**fields: Any) -> DocumentPromptMessageContent:
    return DocumentPromptMessageContent(**{"format": "pdf", "mime_type": "application/pdf", **fields})


def test_the_text_of_a_message_joins_its_text_parts_only():
    message = UserPromptMessage(
        content=[TextPromptMessageContent(data="one"), image(base64_data="AAAA"), TextPromptMessageContent(data="two")]
    )
    assert text_of(message) == "one\ntwo"
    assert text_of(UserPromptMessage(content="plain")) == "plain"
    assert text_of(AssistantPromptMessage(content=None)) == ""


def test_a_placeholder_names_the_file_by_name_else_format_else_file():
    said = "[document 'report.pdf' omitted: no reason]"
    assert placeholder(document(filename="report.pdf"), "no reason") == {"type": "text", "text": said}
    assert placeholder(document(), "r")["text"] == "[document 'pdf' omitted: r]"
    assert placeholder(document(format=""), "r")["text"] == "[document 'file' omitted: r]"


def test_a_string_or_empty_user_message_is_sent_as_a_string():
    assert user_content(UserPromptMessage(content="hi"), None) == "hi"
    assert user_content(UserPromptMessage(content=None), None) == ""


def test_every_kind_of_part_is_converted_in_order():
    picture, doc = image(base64_data="AAAA"), document(filename="a.pdf", base64_data="AAAA")
    audio = AudioPromptMessageContent(format="mp3", mime_type="audio/mpeg", filename="talk.mp3", base64_data="AA")
    video = VideoPromptMessageContent(format="mp4", mime_type="video/mp4", base64_data="AA")
    message = UserPromptMessage(content=[TextPromptMessageContent(data="look"), picture, doc, audio, video])
    converted = user_content(
        message,
        lambda part: {"type": "image_url", "is": part is picture},
        lambda part: [{"type": "text", "text": "doc"}, {"type": "text", "text": str(part is doc)}],
    )
    other = "this model only accepts text and images"
    assert converted == [
        {"type": "text", "text": "look"},
        {"type": "image_url", "is": True},
        {"type": "text", "text": "doc"},
        {"type": "text", "text": "True"},
        {"type": "text", "text": f"[audio 'talk.mp3' omitted: {other}]"},
        {"type": "text", "text": f"[video 'mp4' omitted: {other}]"},
    ]


def test_without_converters_images_and_documents_become_placeholders():
    message = UserPromptMessage(content=[image(base64_data="AAAA"), document(filename="a.pdf")])
    assert user_content(message, None) == [
        {"type": "text", "text": "[image 'png' omitted: this model does not accept images]"},
        {"type": "text", "text": "[document 'a.pdf' omitted: this model only accepts text and images]"},
    ]


def test_inline_base64_comes_from_the_field_or_a_data_uri_and_a_url_has_none():
    assert inline_base64(image(base64_data="QUJD")) == ("QUJD", 0)
    uri = "data:image/png;base64,QUJD"
    assert inline_base64(image(url=uri)) == (uri, len("data:image/png;base64,"))
    assert inline_base64(image(url="data:image/png;base64")) == ("", 0)
    assert inline_base64(image(url="https://example.com/a.png")) is None


def test_inline_text_is_the_payload_alone():
    assert inline_text(image(url="data:image/png;base64,QUJD")) == "QUJD"
    assert inline_text(image(url="data:,")) == ""
    assert inline_text(document(base64_data="QUJD")) == "QUJD"
    assert inline_text(document(url="https://example.com/a.pdf")) == ""
