"""A media job is checked against the model's published parameter schema before it is billed."""

from __future__ import annotations

import httpx
import pytest

from provider.client import Client
from provider.deadline import Deadline
from provider.errors.tree import NotServed, ParameterError
from provider.media_schema import check_job, clear_cache, input_schema, listed_models, parameter_choices, problems

BASE = "https://api.atlascloud.ai/api/v1"
SCHEMA_URL = "https://static.example/schemas/xai-tts.json"
INPUT = {
    "type": "object",
    "required": ["text"],
    "properties": {
        "text": {"type": "string", "maxLength": 20},
        "voice_id": {"type": "string", "enum": ["eve", "ara"]},
        "speed": {"type": "number", "minimum": 0.7, "maximum": 1.5},
        "sample_rate": {"type": "integer"},
        "text_normalization": {"type": "boolean"},
    },
}
DOCUMENT = {"components": {"schemas": {"Input": INPUT}}}


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()
    yield
    clear_cache()


def public(routes: dict[str, object]) -> tuple[Client, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        reply = routes.get(str(request.url))
        return httpx.Response(404, text="no") if reply is None else httpx.Response(200, json=reply)

    return Client("", {"User-Agent": "t"}, transport=httpx.MockTransport(answer)), seen


LISTING = {"code": "200", "data": [{"model": "xai/tts-v1", "type": "Audio", "schema": SCHEMA_URL}, {"type": "x"}]}


def test_problems_follow_atlasclouds_own_validator():
    assert problems(INPUT, {"text": "hello", "voice_id": "eve", "speed": 1.0, "sample_rate": 24000}) == []
    found = problems(INPUT, {"voice_id": "alloy", "speed": 3, "sample_rate": 24000.5, "pitch": 1, "model": "x"})
    assert found == [
        "the required parameter 'text' is missing",
        "'voice_id' must be one of eve, ara (got 'alloy')",
        "'speed' must be at most 1.5",
        "'sample_rate' must be of type integer",
        "the model accepts no parameter 'pitch'",
    ]
    assert problems(INPUT, {"text": "x" * 21}) == ["'text' may have at most 20 characters (has 21)"]
    assert problems(INPUT, {"text": "ok", "text_normalization": 1}) == ["'text_normalization' must be of type boolean"]
    assert problems(INPUT, {"text": "ok", "sample_rate": True}) == ["'sample_rate' must be of type integer"]


def test_the_input_schema_is_found_by_ref_or_in_the_request_body():
    by_ref = {"components": {"schemas": {"Input": {"$ref": "#/components/schemas/Params"}, "Params": INPUT}}}
    assert input_schema(by_ref) is INPUT
    in_path = {"paths": {"/x": {"post": {"requestBody": {"content": {"application/json": {"schema": INPUT}}}}}}}
    assert input_schema(in_path) is INPUT
    assert input_schema({"components": {}}) is None and input_schema("not a schema") is None


def test_a_refused_job_raises_before_submitting_and_documents_are_public_and_cached():
    client, seen = public({f"{BASE}/models": LISTING, SCHEMA_URL: DOCUMENT})
    deadline = Deadline.start(30)
    with pytest.raises(ParameterError, match=r"'voice_id' must be one of eve, ara.*Nothing was submitted"):
        check_job(client, BASE, "xai/tts-v1", {"text": "hi", "voice_id": "alloy"}, deadline)
    check_job(client, BASE, "xai/tts-v1", {"text": "hi", "voice_id": "ara"}, deadline)
    assert len(seen) == 2, "the list and the schema, fetched once"
    assert all("authorization" not in request.headers for request in seen)


def test_an_unlisted_model_is_not_served_and_a_missing_list_or_schema_skips_the_check():
    client, _ = public({f"{BASE}/models": LISTING})
    with pytest.raises(NotServed, match="does not list the model 'xai/tts-v2'"):
        check_job(client, BASE, "xai/tts-v2", {"text": "hi"}, Deadline.start(30))
    check_job(client, BASE, "xai/tts-v1", {"anything": 1}, Deadline.start(30))  # schema unreachable: skipped
    clear_cache()
    gateway, _ = public({})
    assert listed_models(gateway, BASE, Deadline.start(30)) is None
    check_job(gateway, BASE, "any/model", {"anything": 1}, Deadline.start(30))


def test_a_parameters_choices_come_from_the_schema():
    client, _ = public({f"{BASE}/models": LISTING, SCHEMA_URL: DOCUMENT})
    assert parameter_choices(client, BASE, "xai/tts-v1", "voice_id", Deadline.start(30)) == ["eve", "ara"]
    assert parameter_choices(client, BASE, "xai/tts-v1", "speed", Deadline.start(30)) == []
    assert parameter_choices(client, BASE, "not/listed", "voice", Deadline.start(30)) == []
