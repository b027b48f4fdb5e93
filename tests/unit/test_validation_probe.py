"""The fallback key check: which model the probe completion uses, and which refusal still proves the key.

The client is the plugin's own, on an in-memory transport (no socket, no network).
"""

from __future__ import annotations

import httpx
import pytest

from provider.client import Client
from provider.deadline import Deadline
from provider.validation import pick_probe_model, refuses_only_the_model
from tests.unit.fakes import client_answering

PREFERRED = ["deepseek-ai/deepseek-v3.2", "qwen/qwen3.5-27b"]


def client_listing(answer: httpx.Response | None, seen: list[httpx.Request] | None = None) -> Client:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        if answer is None:
            raise httpx.ConnectError("refused", request=request)
        return answer

    return client_answering(handler)


def listed(*entries: dict) -> httpx.Response:
    return httpx.Response(200, json={"object": "list", "data": list(entries)})


def probe(answer: httpx.Response | None) -> str:
    return pick_probe_model(client_listing(answer), Deadline.start(10), PREFERRED)


def test_the_listing_is_read_from_the_endpoints_models_route_within_the_validation_budget():
    seen: list[httpx.Request] = []
    pick_probe_model(client_listing(listed({"id": "a"}), seen), Deadline.start(10), PREFERRED)
    assert [(r.method, str(r.url)) for r in seen] == [("GET", "https://api.atlascloud.ai/v1/models")]
    # A silent endpoint must not hold the settings form past the budget (the client's default is 600 s).
    timeouts = seen[0].extensions["timeout"]
    assert 0 < timeouts["read"] <= 10 and 0 < timeouts["connect"] <= 10


def test_a_preferred_model_that_is_ready_wins_in_the_preferred_order():
    answer = listed({"id": "other/model"}, {"id": "qwen/qwen3.5-27b"}, {"id": "deepseek-ai/deepseek-v3.2"})
    assert probe(answer) == "deepseek-ai/deepseek-v3.2"


def test_a_preferred_model_that_is_not_ready_is_skipped():
    answer = listed(
        {"id": "deepseek-ai/deepseek-v3.2", "is_ready": False},
        {"id": "qwen/qwen3.5-27b", "is_ready": True},
    )
    assert probe(answer) == "qwen/qwen3.5-27b"


def test_without_a_preferred_one_the_first_ready_listed_model_is_used():
    answer = listed(
        {"id": "gone", "is_ready": False}, {"id": 7}, "junk", {"name": "x"}, {"id": "gw/model"}, {"id": "z"}
    )
    assert probe(answer) == "gw/model"


@pytest.mark.parametrize(
    "answer",
    [
        None,  # the endpoint cannot be reached
        httpx.Response(500, json={"msg": "down"}),
        httpx.Response(200, json=[{"id": "a"}]),  # not an object
        httpx.Response(200, json={"data": {"id": "a"}}),  # data not a list
        listed({"id": "a", "is_ready": False}),  # nothing ready
    ],
)
def test_with_no_usable_listing_the_first_preferred_model_is_probed(answer):
    assert probe(answer) == "deepseek-ai/deepseek-v3.2"


@pytest.mark.parametrize("status", [400, 404, 422])
def test_atlasclouds_envelope_refusing_the_model_proves_the_key(status):
    # AtlasCloud authenticates before it routes: a model refusal means the key was accepted.
    assert refuses_only_the_model(status, {"code": status, "msg": "model not found"}, "m/x") is True
    assert refuses_only_the_model(status, {"code": 1, "msg": "unknown id 'Org/Probe'"}, "org/probe") is True


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (401, {"code": 401, "msg": "model unavailable"}),  # any other status decides nothing
        (403, {"code": 403, "msg": "model forbidden"}),
        (400, {"error": {"message": "invalid model"}}),  # a gateway's OpenAI-shaped answer (LiteLLM: bad key)
        (400, {"msg": "model not found"}),  # no code: not AtlasCloud's envelope
        (400, {"code": 400, "msg": None}),
        (400, {"code": 400, "msg": "invalid api key"}),  # a refusal that does not concern the model
        (400, "model not found"),
    ],
)
def test_any_other_refusal_fails_validation(status, body):
    assert refuses_only_the_model(status, body, "m/x") is False
