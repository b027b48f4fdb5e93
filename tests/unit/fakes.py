"""Stand-ins shared by the unit tests: a zero-priced LLMUsage, a fake monotonic clock, and the
plugin's HTTP client on an in-memory transport (no socket, no network), also as a model's upstream."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest
from dify_plugin.entities.model.llm import LLMUsage

from models.llm import user_model as user_model_module
from models.llm.model_list import ListedModel, ModelListCache
from provider.client import Client
from provider.connection import Connection, request_headers
from provider.errors.tree import StatusError

BASE_URL = "https://api.atlascloud.ai/v1"
TIMEOUT = httpx.Timeout(5.0)

ZERO = Decimal(0)


def usage_of(prompt: int, completion: int, details: object = None) -> LLMUsage:
    """What the SDK's usage calculator returns, minus prices (the stream code only passes it on);
    `details` (the cached and reasoning parts) is priced by models/llm/cost.py, not here."""
    return LLMUsage(
        prompt_tokens=prompt,
        prompt_unit_price=ZERO,
        prompt_price_unit=ZERO,
        prompt_price=ZERO,
        completion_tokens=completion,
        completion_unit_price=ZERO,
        completion_price_unit=ZERO,
        completion_price=ZERO,
        total_tokens=prompt + completion,
        total_price=ZERO,
        currency="USD",
        latency=0.0,
    )


class Clock:
    """time.monotonic and a sleep that advances it, so retries and deadlines run instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def client_answering(handler: Callable[[httpx.Request], httpx.Response]) -> Client:
    """The real client, its requests answered by `handler`."""
    return Client(BASE_URL, {"Authorization": "Bearer k"}, transport=httpx.MockTransport(handler))


def status_error(status: int, json: object = None, content: bytes = b"", headers: dict | None = None) -> StatusError:
    """The StatusError the client raises for this answer (a JSON body, else `content` as sent)."""
    if json is not None:
        answer = httpx.Response(status, json=json, headers=headers)
    else:
        answer = httpx.Response(status, content=content, headers=headers)
    try:
        client_answering(lambda request: answer).open("/chat/completions", {}, TIMEOUT)
    except StatusError as error:
        return error
    raise AssertionError(f"HTTP {status} raised no StatusError")


class InMemoryUpstream:
    """What `open_client` hands a model: the real client for the form's connection, its requests
    answered in memory by `handler` when one is set, else by `default`."""

    def __init__(self) -> None:
        self.handler: Callable[[httpx.Request], httpx.Response] | None = None
        self.requests: list[httpx.Request] = []
        self.connections: list[Connection] = []

    def open(self, connection: Connection) -> Client:
        self.connections.append(connection)
        return Client(connection.base_url, request_headers(connection), transport=httpx.MockTransport(self.answer))

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return (self.handler or self.default)(request)

    def default(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(500)

    def bodies(self) -> list[dict]:
        return [json.loads(request.content) for request in self.requests]


def stub_model_list(
    monkeypatch: pytest.MonkeyPatch, models: dict[str, ListedModel] | None = None
) -> dict[str, ListedModel]:
    """AtlasCloud's model list as user_model.py sees it (no network); tests add entries to the dict returned."""
    listed = {} if models is None else models
    cache = ModelListCache(fetch=lambda connection: listed)
    monkeypatch.setattr(user_model_module, "model_list_cache", lambda: cache)
    return listed
