"""The chat model as Dify calls it, in-process: `AtlasCloudLargeLanguageModel.invoke`,
`get_num_tokens` and `validate_credentials` wired to the real modules, with the HTTP client answered
in memory (no socket). Guards the router (models/llm/llm.py): which request goes out (model,
parameters, images for vision models only, reasoning replay), how the reply comes back (blocking and
streamed, priced usage, reasoning), and how failures reach Dify."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from dify_plugin.entities.model import AIModelEntity
from dify_plugin.entities.model.llm import LLMResultChunk
from dify_plugin.entities.model.message import (
    AssistantPromptMessage,
    ImagePromptMessageContent,
    PromptMessage,
    PromptMessageTool,
    TextPromptMessageContent,
    ToolPromptMessage,
    UserPromptMessage,
)
from dify_plugin.errors.model import (
    CredentialsValidateFailedError,
    InvokeAuthorizationError,
    InvokeBadRequestError,
    InvokeConnectionError,
    InvokeError,
)

import models.llm.llm as llm_module
import provider.deadline as deadline_module
from models.llm.llm import AtlasCloudLargeLanguageModel
from models.llm.model_list import ListedModel
from provider.connection import Connection
from provider.deadline import VALIDATION_BUDGET_S
from testkit.images import png_bytes_b64
from tests.unit import fakes
from tests.unit.fakes import client_answering

LLM_DIR = Path(__file__).resolve().parents[2] / "models" / "llm"
VISION = "moonshotai/kimi-k2.6"  # predefined: vision, tools, reasoning replay (Kimi), cached price 0.16
TEXT_ONLY = "deepseek-ai/deepseek-v3.2"  # predefined: no vision, cached price 0.13
USER = "acme/chat"  # user-added; AtlasCloud's list (a stand-in) knows it
KEY = "plain-secret-k3y-42"  # not key-shaped: only the configured key redacts it
CREDENTIALS = {"api_key": KEY}
GATEWAY = {**CREDENTIALS, "endpoint_url": "https://gateway.example/v1"}
TOOL = PromptMessageTool(name="lookup", description="Look a word up.", parameters={"type": "object"})


def predefined(model: str) -> AIModelEntity:
    path = LLM_DIR / f"{model.replace('/', '__')}.yaml"
    return AIModelEntity(**yaml.safe_load(path.read_text(encoding="utf-8")))


def completion(content: str, usage: dict[str, Any] | None = None, **message: Any) -> dict[str, Any]:
    reply: dict[str, Any] = {
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content, **message}, "finish_reason": "stop"}
        ]
    }
    if usage is not None:
        reply["usage"] = usage
    return reply


def sse(*events: dict[str, Any]) -> bytes:
    return b"".join(b"data: " + json.dumps(event).encode() + b"\n\n" for event in events) + b"data: [DONE]\n\n"


def delta(content: str | None = None, finish: str | None = None, **fields: Any) -> dict[str, Any]:
    piece = {} if content is None else {"content": content}
    return {"choices": [{"index": 0, "delta": {**piece, **fields}, "finish_reason": finish}]}


class Upstream:
    """AtlasCloud in memory: records each request body, answers with the next prepared reply."""

    def __init__(self, *replies: httpx.Response) -> None:
        self.replies = list(replies)
        self.bodies: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.read_timeouts: list[float | None] = []
        self.opened: list[Connection] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        self.read_timeouts.append(request.extensions["timeout"]["read"])
        self.bodies.append(json.loads(request.content))
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


def stub_model_list(monkeypatch: pytest.MonkeyPatch) -> dict[str, ListedModel]:
    """AtlasCloud's model list as user_model.py sees it (no network); tests add entries."""
    return fakes.stub_model_list(monkeypatch, {USER: ListedModel(id=USER)})


def stub_upstream(monkeypatch: pytest.MonkeyPatch, *replies: httpx.Response) -> Upstream:
    """The plugin's client, answered by `replies`; `upstream.opened` lists the connections it was opened for."""
    upstream = Upstream(*replies)
    client = client_answering(upstream)

    def open_client(connection: Connection) -> Any:
        upstream.opened.append(connection)
        return client

    monkeypatch.setattr(llm_module, "open_client", open_client)
    return upstream


@pytest.fixture
def listed(monkeypatch: pytest.MonkeyPatch) -> dict[str, ListedModel]:
    return stub_model_list(monkeypatch)


@pytest.fixture
def answer_with(monkeypatch: pytest.MonkeyPatch, listed: dict[str, ListedModel]) -> Callable[..., Upstream]:
    return partial(stub_upstream, monkeypatch)


def llm() -> AtlasCloudLargeLanguageModel:
    return AtlasCloudLargeLanguageModel([predefined(VISION), predefined(TEXT_ONLY)])


def invoke(
    model: str,
    messages: list[PromptMessage],
    parameters: dict[str, Any] | None = None,
    *,
    stream: bool,
    credentials: dict[str, Any] | None = None,
    tools: list[PromptMessageTool] | None = None,
    stop: list[str] | None = None,
) -> list[LLMResultChunk]:
    chunks: Iterator[LLMResultChunk] = llm().invoke(
        model, credentials or CREDENTIALS, messages, parameters or {}, tools, stop, stream
    )
    return list(chunks)


def text_of(chunks: list[LLMResultChunk]) -> str:
    return "".join(str(chunk.delta.message.content or "") for chunk in chunks)


def image_message(width: int = 64, height: int = 48) -> UserPromptMessage:
    image = ImagePromptMessageContent(format="png", mime_type="image/png", base64_data=png_bytes_b64(width, height))
    return UserPromptMessage(content=[TextPromptMessageContent(data="What is this?"), image])


# --- the request that goes out ---------------------------------------------------------------------


def test_a_blocking_call_sends_the_model_its_parameters_and_answers_with_priced_usage(answer_with):
    usage = {"prompt_tokens": 10, "completion_tokens": 2, "prompt_tokens_details": {"cached_tokens": 4}}
    upstream = answer_with(httpx.Response(200, json=completion("hello there", usage)))
    chunks = invoke(
        VISION,
        [UserPromptMessage(content="hi")],
        {"max_tokens": 5, "temperature": 0.2},
        stream=False,
        tools=[TOOL],
        stop=["END"],
    )
    body = upstream.bodies[0]
    assert upstream.paths == ["/v1/chat/completions"]
    assert body["model"] == VISION and body["stream"] is False
    assert (body["max_tokens"], body["temperature"], body["stop"]) == (5, 0.2, ["END"])
    assert body["messages"] == [{"role": "user", "content": "hi"}]
    assert body["tools"][0]["function"]["name"] == "lookup"
    assert upstream.opened == [Connection("https://api.atlascloud.ai/v1", KEY)]
    assert len(chunks) == 1 and text_of(chunks) == "hello there"
    used = chunks[0].delta.usage
    # Kimi K2.6: input 0.95, output 4.0, cached 0.16 per 1M; 6 uncached + 4 cached prompt tokens.
    assert (used.prompt_tokens, used.completion_tokens) == (10, 2)
    assert used.prompt_price == Decimal("0.0000063")  # 0.0000057 + 0.0000006
    assert used.prompt_unit_price == Decimal("0.634000")
    assert used.completion_price == Decimal("0.0000080")
    assert used.latency > 0  # measured from the SDK's start of the call


def test_a_streamed_call_asks_for_usage_and_yields_the_answer_in_chunks_ending_with_usage(answer_with):
    events = sse(
        delta("Hel"),
        delta("lo"),
        delta(None, "stop"),
        {"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 2}},
    )
    upstream = answer_with(httpx.Response(200, headers={"content-type": "text/event-stream"}, content=events))
    chunks = invoke(TEXT_ONLY, [UserPromptMessage(content="hi")], stream=True)
    body = upstream.bodies[0]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert text_of(chunks) == "Hello"
    assert chunks[-1].delta.usage is not None
    assert (chunks[-1].delta.usage.prompt_tokens, chunks[-1].delta.usage.completion_tokens) == (7, 2)
    assert chunks[-1].delta.finish_reason == "stop"


def test_without_usage_from_the_server_the_prompt_and_answer_are_counted_offline(answer_with):
    answer_with(httpx.Response(200, json=completion("one two three")))
    messages = [UserPromptMessage(content="count these words for me please")]
    chunks = invoke(TEXT_ONLY, messages, stream=False)
    used = chunks[0].delta.usage
    assert used.prompt_tokens == llm().get_num_tokens(TEXT_ONLY, CREDENTIALS, messages)
    assert used.completion_tokens == 3


def test_a_vision_model_gets_the_image_and_a_text_only_model_a_placeholder(answer_with):
    upstream = answer_with(httpx.Response(200, json=completion("a picture")))
    invoke(VISION, [image_message()], stream=False)
    invoke(TEXT_ONLY, [image_message()], stream=False)
    to_vision, to_text = (body["messages"][0]["content"] for body in upstream.bodies)
    assert [part["type"] for part in to_vision] == ["text", "image_url"]
    assert to_vision[1]["image_url"]["url"].startswith("data:image/")
    assert all(part["type"] == "text" for part in to_text)
    assert "image" in json.dumps(to_text).lower()


def test_kimi_tool_turns_replay_their_reasoning_unless_thinking_is_off(answer_with):
    upstream = answer_with(httpx.Response(200, json=completion("done")))
    call = AssistantPromptMessage.ToolCall(
        id="call_1",
        type="function",
        function=AssistantPromptMessage.ToolCall.ToolCallFunction(name="lookup", arguments="{}"),
    )
    history = [
        UserPromptMessage(content="look it up"),
        AssistantPromptMessage(content="", tool_calls=[call]),
        ToolPromptMessage(content="found", tool_call_id="call_1"),
    ]
    invoke(VISION, history, stream=False, tools=[TOOL])
    invoke(VISION, history, {"thinking": False}, stream=False, tools=[TOOL])
    replayed, plain = (body["messages"][1] for body in upstream.bodies)
    assert replayed.get("reasoning_content") == ""
    assert "reasoning_content" not in plain


def test_reasoning_in_its_own_field_streams_as_a_think_block_before_the_answer(answer_with):
    events = sse(delta(reasoning_content="pondering"), delta("answer"), delta(None, "stop"))
    answer_with(httpx.Response(200, headers={"content-type": "text/event-stream"}, content=events))
    text = text_of(invoke(VISION, [UserPromptMessage(content="hi")], stream=True))
    assert text.index("pondering") < text.index("</think>") < text.index("answer")


def test_a_user_added_template_model_streams_what_precedes_a_lone_close_as_reasoning(answer_with, listed):
    credentials = {**CREDENTIALS, "reasoning": "switchable", "reasoning_format": "template"}
    events = sse(delta("mulling</think>"), delta("the answer"), delta(None, "stop"))
    answer_with(httpx.Response(200, headers={"content-type": "text/event-stream"}, content=events))
    text = text_of(invoke(USER, [UserPromptMessage(content="hi")], stream=True, credentials=credentials))
    assert text.startswith("<think>") and text.index("mulling") < text.index("</think>") < text.index("the answer")


def test_an_undeclared_lone_close_ends_the_reasoning_and_is_logged_with_its_fix(answer_with, caplog):
    events = sse(delta("mulling</think>"), delta("the answer"), delta(None, "stop"))
    answer_with(httpx.Response(200, headers={"content-type": "text/event-stream"}, content=events))
    with caplog.at_level(logging.WARNING):
        text = text_of(invoke(TEXT_ONLY, [UserPromptMessage(content="hi")], stream=True))
    assert text.endswith("</think>the answer")
    logged = caplog.text
    assert f"model {TEXT_ONLY} ended its reasoning with a lone </think>" in logged
    assert "reasoning format is 'field'" in logged
    assert f"set `reasoning_format: template` for {TEXT_ONLY} in tools/catalog/curated.yaml" in logged


def test_a_user_added_model_is_told_to_change_its_form_not_the_catalog(answer_with, caplog):
    events = sse(delta("mulling</think>"), delta("the answer"), delta(None, "stop"))
    answer_with(httpx.Response(200, headers={"content-type": "text/event-stream"}, content=events))
    with caplog.at_level(logging.WARNING):
        invoke(USER, [UserPromptMessage(content="hi")], stream=True)
    assert f"'Template opens <think>' in the settings of model {USER}" in caplog.text
    assert "curated.yaml" not in caplog.text


# --- failures ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_a_refused_key_is_an_authorization_error_without_the_key(answer_with, stream):
    answer_with(httpx.Response(401, json={"error": {"message": f"invalid key {KEY}"}}))
    with pytest.raises(InvokeAuthorizationError) as raised:
        invoke(TEXT_ONLY, [UserPromptMessage(content="hi")], stream=stream)
    assert KEY not in str(raised.value)


def test_a_bad_endpoint_is_a_bad_request_before_anything_is_sent(answer_with):
    upstream = answer_with(httpx.Response(200, json=completion("never")))
    with pytest.raises(InvokeBadRequestError):
        invoke(
            TEXT_ONLY,
            [UserPromptMessage(content="hi")],
            stream=False,
            credentials={**CREDENTIALS, "endpoint_url": "ftp://x"},
        )
    assert upstream.bodies == []


def test_an_error_inside_a_stream_reaches_dify_mapped_and_without_the_key(answer_with):
    failure = {"error": {"code": 503, "message": f"overloaded, key {KEY}"}}
    events = b"".join(b"data: " + json.dumps(event).encode() + b"\n\n" for event in (delta("partial "), failure))
    answer_with(httpx.Response(200, headers={"content-type": "text/event-stream"}, content=events))
    with pytest.raises(InvokeError) as raised:
        invoke(TEXT_ONLY, [UserPromptMessage(content="hi")], stream=True, credentials=GATEWAY)
    assert "overloaded" in str(raised.value) and KEY not in str(raised.value)


class HeldStream(httpx.SyncByteStream):
    """A streamed reply that sends one delta, then waits (at most 5 s) until released; notes its closing."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.closed = threading.Event()

    def __iter__(self) -> Iterator[bytes]:
        yield b"data: " + json.dumps(delta("first")).encode() + b"\n\n"
        self.released.wait(5)
        yield b"data: [DONE]\n\n"

    def close(self) -> None:
        self.closed.set()


def test_when_dify_stops_reading_a_stream_the_upstream_reply_is_closed(answer_with):
    held = HeldStream()
    answer_with(httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=held))
    chunks = llm().invoke(TEXT_ONLY, CREDENTIALS, [UserPromptMessage(content="hi")], {}, None, None, True)
    try:
        assert next(chunks).delta.message.content == "first"
        chunks.close()
        assert held.closed.is_set()  # closed by the consumer, while the reply was still open
    finally:
        held.released.set()


def test_a_call_that_outlives_the_plugins_budget_names_who_did_not_answer(answer_with, monkeypatch):
    spent = dataclasses.replace(deadline_module.settings(), total_timeout_s=0.0)
    monkeypatch.setattr(deadline_module, "settings", lambda: spent)
    upstream = answer_with(httpx.Response(200, json=completion("late")))
    with pytest.raises(InvokeConnectionError) as raised:
        invoke(TEXT_ONLY, [UserPromptMessage(content="hi")], stream=False, credentials=GATEWAY)
    assert str(raised.value).startswith("The endpoint gateway.example did not finish within 0 s")
    assert upstream.bodies == []


# --- validation of a user-added model ----------------------------------------------------------------


def test_validation_sends_one_small_probe_to_the_model_within_the_validation_budget(answer_with):
    upstream = answer_with(httpx.Response(200, json=completion("pong")))
    llm().validate_credentials(USER, CREDENTIALS)
    assert upstream.paths == ["/v1/chat/completions"]
    assert upstream.read_timeouts[0] is not None and 0 < upstream.read_timeouts[0] <= VALIDATION_BUDGET_S
    assert upstream.bodies[0]["model"] == USER and upstream.bodies[0]["max_tokens"] == 16
    assert upstream.opened == [Connection("https://api.atlascloud.ai/v1", KEY)]


def test_a_model_listed_as_not_ready_fails_validation_before_any_billed_probe(answer_with, listed):
    listed[USER] = ListedModel(id=USER, ready=False)
    upstream = answer_with(httpx.Response(200, json=completion("pong")))
    with pytest.raises(CredentialsValidateFailedError) as raised:
        llm().validate_credentials(USER, CREDENTIALS)
    assert f"model '{USER}' as not ready" in str(raised.value)
    assert upstream.bodies == []


def test_a_refused_probe_fails_validation_naming_the_model_without_the_key(answer_with):
    answer_with(httpx.Response(401, json={"error": {"message": f"bad key {KEY}"}}))
    with pytest.raises(CredentialsValidateFailedError) as raised:
        llm().validate_credentials(USER, CREDENTIALS)
    assert str(raised.value).startswith(f"Model '{USER}'")
    assert KEY not in str(raised.value)


def test_a_form_value_that_cannot_be_used_fails_validation_with_the_forms_words(answer_with):
    upstream = answer_with(httpx.Response(200, json=completion("pong")))
    with pytest.raises(CredentialsValidateFailedError) as raised:
        llm().validate_credentials(USER, {**CREDENTIALS, "context_size": "lots"})
    assert "context" in str(raised.value).lower()
    assert upstream.bodies == []
