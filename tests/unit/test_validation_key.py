"""Checking an API key at the credentials form (provider/validation.py, provider/atlascloud.py).

The billing API decides when it can (200 proves the key, 401 refutes it); anything else falls back
to a 16-token completion, whose refusal proves the key only in AtlasCloud's own envelope refusing
the model. Every request is bounded by the 60 s validation budget, and the failure message names
who refused, in the server's words, without the key. The client is the plugin's own on an
in-memory transport.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from dify_plugin.errors.model import CredentialsValidateFailedError

from provider import atlascloud, validation
from provider.client import Client
from provider.connection import Connection, request_headers
from provider.validation import verify_api_key

KEY = "apikey-validation-0123456789abcdef"
ATLAS = Connection("https://api.atlascloud.ai/v1", KEY)
GATEWAY_KEY = "gateway-secret-0123456789"  # not shaped like a key: only the connection can redact it
GATEWAY = Connection("https://gw.example/openai", GATEWAY_KEY)  # no /v1: no billing API to ask
BALANCE = "https://api.atlascloud.ai/public/v1/balance"
PREFERRED = ["deepseek-ai/deepseek-v3.2", "qwen/qwen3.5-27b"]
PROBE = {"messages": [{"role": "user", "content": "ping"}], "max_tokens": 16, "stream": False}

type Routes = dict[tuple[str, str], httpx.Response]


class Endpoint:
    """Answers by (method, url) and records every request; unknown routes answer 404."""

    def __init__(self, routes: Routes) -> None:
        self.routes = routes
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return self.routes.get((request.method, str(request.url)), httpx.Response(404, json={"detail": "no route"}))

    @property
    def asked(self) -> list[tuple[str, str]]:
        return [(r.method, str(r.url)) for r in self.seen]


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Callable[[Routes], Endpoint]:
    """The connection's own client (its URL and key), answered in memory."""

    def serve(routes: Routes) -> Endpoint:
        answering = Endpoint(routes)

        def open_client(connection: Connection) -> Client:
            transport = httpx.MockTransport(answering)
            return Client(connection.base_url, request_headers(connection), transport=transport)

        monkeypatch.setattr(validation, "open_client", open_client)
        return answering

    return serve


def completion_routes(base: str, completion: httpx.Response) -> Routes:
    listing = {"data": [{"id": "other/model"}, {"id": "qwen/qwen3.5-27b"}]}
    return {
        ("GET", f"{base}/models"): httpx.Response(200, json=listing),
        ("POST", f"{base}/chat/completions"): completion,
    }


def test_a_balance_answer_proves_the_key_with_nothing_billed(endpoint):
    served = endpoint({("GET", BALANCE): httpx.Response(200, json={"data": {"balance": 3.5}})})
    verify_api_key(ATLAS, PREFERRED)
    assert served.asked == [("GET", BALANCE)]
    request = served.seen[0]
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert 0 < request.extensions["timeout"]["read"] <= 60, "the form must not wait past the validation budget"


def test_a_refused_balance_fails_at_once_naming_atlascloud_without_the_key(endpoint):
    served = endpoint({("GET", BALANCE): httpx.Response(401, json={"code": 401, "msg": f"invalid key {KEY}"})})
    with pytest.raises(CredentialsValidateFailedError) as caught:
        verify_api_key(ATLAS, PREFERRED)
    message = str(caught.value)
    assert message.startswith("AtlasCloud credentials check failed: ") and "invalid key" in message
    assert KEY not in message
    assert served.asked == [("GET", BALANCE)], "a refuted key is not tried again with a billed completion"


@pytest.mark.parametrize(
    "balance",
    [
        httpx.Response(403, json={"code": 403, "msg": "no billing permission"}),
        httpx.Response(402, json={"code": 402, "msg": "insufficient balance"}),
        httpx.Response(200, text="<html>maintenance</html>"),
    ],
)
def test_an_inconclusive_balance_falls_back_to_a_small_completion(endpoint, balance):
    base = "https://api.atlascloud.ai/v1"
    routes = completion_routes(base, httpx.Response(200, json={"choices": []}))
    served = endpoint({("GET", BALANCE): balance, **routes})
    verify_api_key(ATLAS, PREFERRED)
    assert served.asked == [("GET", BALANCE), ("GET", f"{base}/models"), ("POST", f"{base}/chat/completions")]
    assert json.loads(served.seen[2].content) == {"model": "qwen/qwen3.5-27b", **PROBE}
    assert 0 < served.seen[2].extensions["timeout"]["read"] <= 60


def test_an_endpoint_without_the_billing_api_is_checked_with_the_completion_only(endpoint):
    served = endpoint(completion_routes(GATEWAY.base_url, httpx.Response(200, json={"choices": []})))
    verify_api_key(GATEWAY, PREFERRED)
    assert [method for method, _ in served.asked] == ["GET", "POST"]


def test_atlasclouds_envelope_refusing_the_probe_model_still_proves_the_key(endpoint):
    refusal = httpx.Response(404, json={"code": 404, "msg": "model qwen/qwen3.5-27b is not available"})
    endpoint(completion_routes(GATEWAY.base_url, refusal))
    verify_api_key(GATEWAY, PREFERRED)


def test_any_other_completion_refusal_fails_in_the_servers_words_naming_the_gateway(endpoint):
    refusal = httpx.Response(400, json={"error": {"message": f"Authentication Error, bad key {GATEWAY_KEY}"}})
    endpoint(completion_routes(GATEWAY.base_url, refusal))
    with pytest.raises(CredentialsValidateFailedError) as caught:
        verify_api_key(GATEWAY, PREFERRED)
    assert str(caught.value) == (
        "The endpoint gw.example credentials check failed: "
        "The endpoint gw.example answered HTTP 400: Authentication Error, bad key ***."
    )


def provider() -> atlascloud.AtlasCloudProvider:
    return atlascloud.AtlasCloudProvider(None, None)  # type: ignore[arg-type]  # neither is used


def test_the_provider_form_checks_the_key_against_the_predefined_models(monkeypatch):
    checked: list[tuple[Connection, list[str]]] = []
    monkeypatch.setattr(atlascloud, "verify_api_key", lambda connection, models: checked.append((connection, models)))
    provider().validate_provider_credentials({"api_key": f" {KEY} ", "endpoint_url": ""})
    [(connection, models)] = checked
    assert connection == ATLAS
    assert models == atlascloud.predefined_model_ids() and "deepseek-ai/deepseek-v3.2" in models


def test_the_provider_form_refuses_an_unusable_key_in_its_own_words(monkeypatch):
    monkeypatch.setattr(atlascloud, "verify_api_key", lambda connection, models: pytest.fail("nothing to check"))
    with pytest.raises(CredentialsValidateFailedError) as caught:
        provider().validate_provider_credentials({"api_key": "two words"})
    assert str(caught.value) == "The AtlasCloud API key contains spaces or control characters; paste it again."
