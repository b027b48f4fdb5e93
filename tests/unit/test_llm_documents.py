"""The chat model's token counts and the room a request's parts share, in-process as Dify calls it
(models/llm/llm.py; helpers from test_llm_invoke.py): images counted and sent as the model sees
them, documents cut to the room the context, the answer, the tools and the images leave, usage
counted offline and priced at a user-added model's typed prices."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from dify_plugin.entities.model.message import (
    DocumentPromptMessageContent,
    PromptMessage,
    PromptMessageTool,
    TextPromptMessageContent,
    UserPromptMessage,
)
from dify_plugin.errors.model import InvokeBadRequestError

from models.llm.model_list import ListedModel
from testkit.documents import document_part
from tests.unit.test_llm_invoke import (
    CREDENTIALS,
    TEXT_ONLY,
    TOOL,
    USER,
    VISION,
    Upstream,
    completion,
    image_message,
    invoke,
    llm,
    stub_model_list,
    stub_upstream,
    text_of,
)

# A user-added model that sees images, with typed prices (USD per 1M tokens).
USER_VISION = {**CREDENTIALS, "vision_support": "support", "input_price": "2", "output_price": "8"}


@pytest.fixture
def listed(monkeypatch: pytest.MonkeyPatch) -> dict[str, ListedModel]:
    return stub_model_list(monkeypatch)


@pytest.fixture
def answer_with(monkeypatch: pytest.MonkeyPatch, listed: dict[str, ListedModel]) -> Callable[..., Upstream]:
    return lambda *replies: stub_upstream(monkeypatch, *replies)


# --- token counts ------------------------------------------------------------------------------------


def test_images_count_as_image_tokens_for_vision_models_and_as_placeholder_text_otherwise(listed):
    model = llm()
    plain = [UserPromptMessage(content="What is this?")]
    with_image = [image_message(512, 512)]
    text_only = model.get_num_tokens(TEXT_ONLY, CREDENTIALS, with_image)
    vision = model.get_num_tokens(VISION, CREDENTIALS, with_image)
    assert model.get_num_tokens(VISION, CREDENTIALS, plain) < text_only < vision
    tools_counted = model.get_num_tokens(TEXT_ONLY, CREDENTIALS, plain, [TOOL])
    assert tools_counted > model.get_num_tokens(TEXT_ONLY, CREDENTIALS, plain)


# --- user-added models, usage and the log --------------------------------------------------------------


def test_a_user_added_vision_model_gets_images_and_is_priced_at_its_typed_prices(answer_with, caplog):
    upstream = answer_with(
        httpx.Response(200, json=completion("a cat", {"prompt_tokens": 1000, "completion_tokens": 100}))
    )
    with caplog.at_level(logging.INFO):
        chunks = invoke(USER, [image_message()], stream=False, credentials=USER_VISION)
    assert [part["type"] for part in upstream.bodies[0]["messages"][0]["content"]] == ["text", "image_url"]
    used = chunks[0].delta.usage
    # by hand: 1000 x 2 / 1e6 = 0.002; 100 x 8 / 1e6 = 0.0008
    assert (used.prompt_price, used.completion_price) == (Decimal("0.002"), Decimal("0.0008"))
    assert f"usage {USER}: prompt 1000 = uncached 1000 x 2 USD/1M" in caplog.text


def test_usage_counted_offline_includes_the_tools_and_the_images_as_the_model_sees_them(answer_with):
    answer_with(httpx.Response(200, json=completion("a cat")))
    messages: list[PromptMessage] = [image_message(512, 512)]
    chunks = invoke(USER, messages, stream=False, credentials=USER_VISION, tools=[TOOL])
    counted = llm().get_num_tokens(USER, USER_VISION, messages, [TOOL])
    assert chunks[0].delta.usage.prompt_tokens == counted
    assert counted > llm().get_num_tokens(USER, CREDENTIALS, messages, [TOOL])  # the image, not its placeholder
    assert counted > llm().get_num_tokens(USER, USER_VISION, messages)


def test_a_blocking_reply_with_an_undeclared_lone_close_is_split_and_logged(answer_with, caplog):
    answer_with(httpx.Response(200, json=completion("mulling</think>the answer")))
    with caplog.at_level(logging.WARNING):
        text = text_of(invoke(TEXT_ONLY, [UserPromptMessage(content="hi")], stream=False))
    assert text.endswith("</think>the answer") and "mulling" in text
    assert f"model {TEXT_ONLY} ended its reasoning with a lone </think>" in caplog.text


def test_each_model_counts_images_by_its_own_rule():
    messages: list[PromptMessage] = [image_message(512, 512)]
    kimi = llm().get_num_tokens(VISION, CREDENTIALS, messages)  # Kimi's 28 px patches
    default = llm().get_num_tokens(USER, USER_VISION, messages)  # a user-added model: the default rule
    assert kimi != default


# --- documents ---------------------------------------------------------------------------------------


def long_document() -> list[PromptMessage]:
    text = "\n\n".join(f"Paragraph {i}: " + " ".join(f"word{j}" for j in range(40)) for i in range(400))
    document = DocumentPromptMessageContent(**document_part(text.encode(), "text/markdown", "notes.md"))
    return [UserPromptMessage(content=[TextPromptMessageContent(data="Read this."), document])]


def sized(context: int) -> dict[str, Any]:
    return {**CREDENTIALS, "context_size": str(context), "max_tokens": "16384"}


BIG_TOOL = PromptMessageTool(name="lookup", description=" ".join(["describe"] * 600), parameters={"type": "object"})


def test_a_document_is_cut_to_the_room_left_by_the_context_the_answer_and_the_rest_of_the_prompt(answer_with):
    upstream = answer_with(httpx.Response(200, json=completion("read")))

    def sent(context: int, parameters: dict[str, Any], tools: list[PromptMessageTool] | None = None) -> int:
        invoke(USER, long_document(), parameters, stream=False, credentials=sized(context), tools=tools)
        return len(json.dumps(upstream.bodies[-1]["messages"]))

    baseline = sent(20000, {})  # the answer's reserve: the model's default max tokens, 8192
    assert "Paragraph 0: word0" in json.dumps(upstream.bodies[-1]["messages"])
    assert sent(40000, {}) > baseline  # a larger context leaves more room
    assert sent(20000, {"max_tokens": 1000}) > baseline  # a smaller answer reserve too
    assert sent(20000, {}, [BIG_TOOL]) < baseline  # tools take room


def test_a_documents_count_follows_the_same_room(listed):
    model = llm()
    small = model.get_num_tokens(USER, sized(20000), long_document())
    assert model.get_num_tokens(USER, sized(40000), long_document()) > small
    with_tool = model.get_num_tokens(USER, sized(20000), long_document(), [BIG_TOOL])
    tool_alone = model.get_num_tokens(USER, sized(20000), [UserPromptMessage(content="x")], [BIG_TOOL])
    assert with_tool - small < tool_alone / 2  # the document gave up most of the tool's room


def test_an_unreadable_document_refuses_the_call_but_is_still_counted(answer_with):
    upstream = answer_with(httpx.Response(200, json=completion("never")))
    broken = DocumentPromptMessageContent(**document_part(b"PK\x03\x04garbage", "application/zip", "a.zip"))
    messages: list[PromptMessage] = [UserPromptMessage(content=[TextPromptMessageContent(data="Read."), broken])]
    assert llm().get_num_tokens(USER, CREDENTIALS, messages) > 0
    with pytest.raises(InvokeBadRequestError) as raised:
        invoke(USER, messages, stream=False)
    assert str(raised.value).startswith("Document 'a.zip' cannot be read")
    assert upstream.bodies == []


def document_and_image() -> list[PromptMessage]:
    [message] = long_document()
    image = image_message(512, 512).content[1]
    return [UserPromptMessage(content=[*message.content, image])]


def document_text_sent(body: dict[str, Any]) -> int:
    texts = [part["text"] for part in body["messages"][0]["content"] if part["type"] == "text"]
    return sum(len(text) for text in texts if "Paragraph 0:" in text)


def test_an_image_sent_as_an_image_takes_room_from_the_documents_beside_it(answer_with):
    upstream = answer_with(httpx.Response(200, json=completion("read")))
    sees = {**sized(20000), "vision_support": "support"}
    invoke(USER, document_and_image(), stream=False, credentials=sees)
    invoke(USER, document_and_image(), stream=False, credentials=sized(20000))  # the image as placeholder text
    beside_image, beside_placeholder = (document_text_sent(body) for body in upstream.bodies)
    assert beside_image < beside_placeholder


def test_an_image_counted_as_an_image_takes_room_from_the_documents_beside_it(listed):
    model = llm()
    sees = {**sized(20000), "vision_support": "support"}
    image_only = [image_message(512, 512)]
    document_with_image = model.get_num_tokens(USER, sees, document_and_image()) - model.get_num_tokens(
        USER, sees, image_only
    )
    document_with_placeholder = model.get_num_tokens(USER, sized(20000), document_and_image()) - model.get_num_tokens(
        USER, sized(20000), image_only
    )
    assert document_with_image < document_with_placeholder
