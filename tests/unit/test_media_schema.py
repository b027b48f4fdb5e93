"""provider/media_schema.py in detail: the rules of a model's published parameter schema at their
boundaries, the words of a refusal, documents kept five minutes (a failed fetch 30 s) and fetched
within the deadline, and malformed lists or schemas that skip the check instead of breaking it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from types import SimpleNamespace

import httpx
import pytest

from provider import media_schema
from provider.client import Client
from provider.deadline import Deadline
from provider.errors.tree import NotServed, ParameterError
from provider.media_schema import (
    check_job,
    clear_cache,
    input_schema,
    listed_models,
    model_schema,
    parameter_choices,
    problems,
)
from tests.unit.fakes import Clock

BASE = "https://api.atlascloud.ai/api/v1"
MODELS = f"{BASE}/models"
SCHEMA_URL = "https://static.example/schemas/tts.json"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


class Documents:
    """Public documents by URL (a missing one answers 404); records every request."""

    def __init__(self, documents: dict[str, object]) -> None:
        self.documents = documents
        self.seen: list[httpx.Request] = []
        self.client = Client("", {"User-Agent": "t"}, transport=httpx.MockTransport(self.answer))

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        document = self.documents.get(str(request.url))
        return httpx.Response(404, text="no") if document is None else httpx.Response(200, json=document)


def deadline(seconds: float = 30.0) -> Deadline:
    clock = Clock()
    return Deadline(clock.now + seconds, seconds, clock=clock.monotonic)


# --- rules ----------------------------------------------------------------------------------------


def test_bounds_are_inclusive():
    rules = {
        "properties": {
            "speed": {"type": "number", "minimum": 0.5, "maximum": 2},
            "text": {"type": "string", "minLength": 2, "maxLength": 5},
        }
    }
    assert problems(rules, {"speed": 0.5, "text": "ab"}) == []
    assert problems(rules, {"speed": 2, "text": "abcde"}) == []
    assert problems(rules, {"speed": 0.4, "text": "a"}) == [
        "'speed' must be at least 0.5",
        "'text' needs at least 2 characters",
    ]
    assert problems(rules, {"speed": 2.5}) == ["'speed' must be at most 2"]


def test_number_bounds_apply_to_numbers_and_a_boolean_is_a_boolean():
    rules = {"properties": {"level": {"minimum": 0}, "flag": {"type": "boolean", "minimum": 5}}}
    assert problems(rules, {"level": "5", "flag": True}) == []
    assert problems({"properties": {"n": {"type": "integer"}}}, {"n": False}) == ["'n' must be of type integer"]


def test_a_type_that_is_not_one_name_is_not_checked():
    rules = {"properties": {"seed": {"type": ["integer", "null"]}}}
    assert problems(rules, {"seed": "x"}) == []


def test_a_long_choice_list_is_shortened_and_a_long_value_quoted_in_part():
    twelve = [f"v{i}" for i in range(12)]
    value = "x" * 50
    assert problems({"properties": {"voice": {"enum": twelve}}}, {"voice": value}) == [
        f"'voice' must be one of {', '.join(twelve)} (got {'x' * 40!r})"
    ]
    assert problems({"properties": {"voice": {"enum": [*twelve, "v12"]}}}, {"voice": "v99"}) == [
        f"'voice' must be one of {', '.join(twelve)}, ... (got 'v99')"
    ]


def test_model_and_unset_parameters_are_not_judged_and_do_not_stop_the_others():
    rules = {"required": ["model", "text"], "properties": {"text": {"type": "string"}}}
    assert problems(rules, {"model": "m", "text": "hi"}) == []
    assert problems(rules, {"text": "hi"}) == [], "the body's model is added at submit, never asked of the user"
    assert problems(rules, {"model": "m", "voice": None, "pitch": 1, "text": "hi"}) == [
        "the model accepts no parameter 'pitch'"
    ]


def test_a_refusal_lists_at_most_five_problems_and_says_nothing_was_submitted():
    no_parameters = {"components": {"schemas": {"Input": {"properties": {}}}}}
    client = Documents({MODELS: {"data": [{"model": "m/tts", "schema": SCHEMA_URL}]}, SCHEMA_URL: no_parameters}).client
    params = {f"p{i}": 1 for i in range(6)}
    with pytest.raises(ParameterError) as caught:
        check_job(client, BASE, "m/tts", params, deadline())
    listed = "; ".join(f"the model accepts no parameter 'p{i}'" for i in range(5))
    assert str(caught.value) == (
        f"The model 'm/tts' would refuse this job: {listed}. Nothing was submitted; check the model's settings."
    )


# --- documents ------------------------------------------------------------------------------------

LISTING = {
    "data": [
        {"model": "a/audio", "type": "Audio", "schema": SCHEMA_URL},
        {"model": "b/plain-http", "schema": "http://127.0.0.1:8123/schema.json"},
        {"model": "c/ftp", "type": "Audio", "schema": "ftp://static.example/s.json"},
        {"model": "d/odd", "schema": 5},
    ]
}


def test_the_list_keeps_each_models_id_kind_and_web_schema_url():
    listed = listed_models(Documents({MODELS: LISTING}).client, BASE, deadline())
    assert listed is not None
    assert [(m.id, m.kind, m.schema_url) for m in listed.values()] == [
        ("a/audio", "Audio", SCHEMA_URL),
        ("b/plain-http", "", "http://127.0.0.1:8123/schema.json"),
        ("c/ftp", "Audio", None),
        ("d/odd", "", None),
    ]


def test_a_listed_model_without_a_schema_is_not_checked_and_an_unlisted_one_is_not_served():
    documents = Documents({MODELS: LISTING})
    assert model_schema(documents.client, BASE, "c/ftp", deadline()) is None
    assert [str(r.url) for r in documents.seen] == [MODELS]
    with pytest.raises(NotServed) as caught:
        model_schema(documents.client, BASE, "z/none", deadline())
    assert str(caught.value) == (
        "AtlasCloud does not list the model 'z/none'; check the model id (full and case-sensitive, "
        "e.g. 'bytedance/seed-asr-2.0'). Nothing was submitted."
    )


def test_documents_are_fetched_with_get_within_the_fetch_budget_and_the_deadline():
    documents = Documents({MODELS: LISTING})
    listed_models(documents.client, BASE, deadline(30.0))
    clear_cache()
    listed_models(documents.client, BASE, deadline(0.5))
    assert [r.method for r in documents.seen] == ["GET", "GET"]
    assert [r.extensions["timeout"]["read"] for r in documents.seen] == [15.0, 0.5]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The cache's clock."""
    clock = Clock()
    monkeypatch.setattr(media_schema, "time", SimpleNamespace(monotonic=clock.monotonic))
    return clock


def test_a_document_is_kept_five_minutes(clock):
    documents = Documents({MODELS: LISTING})
    for moment in (0.0, 299.9, 300.0):
        clock.now = 1000.0 + moment
        assert listed_models(documents.client, BASE, deadline()) is not None
    assert len(documents.seen) == 2, "fetched at the start and again when five minutes were over"


def test_a_failed_fetch_is_tried_again_after_thirty_seconds(clock, caplog):
    caplog.set_level(logging.INFO, logger="provider.media_schema")
    documents = Documents({})
    url = f"{MODELS}?page=1"
    clock.now = 1000.0
    assert media_schema._cached_json(documents.client, url, deadline()) is None
    documents.documents[url] = LISTING
    clock.now = 1029.9
    assert media_schema._cached_json(documents.client, url, deadline()) is None
    clock.now = 1030.0
    assert media_schema._cached_json(documents.client, url, deadline()) == LISTING
    assert [r.getMessage() for r in caplog.records] == [f"media schema check skipped: {MODELS} answered StatusError"]


@pytest.mark.parametrize(
    "document",
    [
        {"components": {"schemas": ["Input"]}},
        {"paths": {"/x": ["post"]}},
        {"components": {"schemas": ["x"]}, "paths": {"/x": {"post": {"requestBody": {"content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Input"}}}}}}}},
        {"components": {"schemas": {"Input": {"type": "object"}}}},
    ],
)  # fmt: skip
def test_a_malformed_schema_document_skips_the_check(document):
    assert input_schema(document) is None


def test_a_reference_may_name_the_schema_without_a_path():
    rules = {"properties": {"text": {"type": "string"}}}
    assert input_schema({"components": {"schemas": {"Input": {"$ref": "Params"}, "Params": rules}}}) is rules


def test_choices_of_a_parameter_without_a_rule_object_are_none():
    document = {"components": {"schemas": {"Input": {"properties": {"voice": "string"}}}}}
    client = Documents({MODELS: LISTING, SCHEMA_URL: document}).client
    assert parameter_choices(client, BASE, "a/audio", "voice", deadline()) == []
