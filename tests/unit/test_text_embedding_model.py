"""The Dify TextEmbeddingModel as Dify calls it (invoke, get_num_tokens, validate_credentials):
the requests the endpoint receives (prefixes, windows, batches, the form's dimensions, in
validation too), the vectors and usage Dify gets back, and the errors users see."""

from __future__ import annotations

import base64
import json
import math
import struct
from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest
from dify_plugin.entities.model import EmbeddingInputType
from dify_plugin.errors.model import (
    CredentialsValidateFailedError,
    InvokeAuthorizationError,
    InvokeBadRequestError,
    InvokeConnectionError,
)

from models.text_embedding import text_embedding as embedding_module
from models.text_embedding.text_embedding import AtlasCloudTextEmbeddingModel
from models.vision_utils.tokens.text import count_text
from provider import deadline as deadline_module
from provider.deadline import VALIDATION_BUDGET_S
from tests.unit.fakes import Clock, InMemoryUpstream

KEY = "sk-embed-secret-0123"
GATEWAY = {"api_key": KEY, "endpoint_url": "https://gw.example.com/v1"}


def float32(values: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()


def vector_for(text: str) -> list[float]:
    """The fake model's embedding: the text's length and its first character."""
    return [float(len(text)), float(ord(text[0]) if text else 0), 0.1]


class Upstream(InMemoryUpstream):
    """Answers /embeddings (float32 base64 rows, `tokens(input)` as usage) unless a test sets `handler`."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens: Callable[[list[str]], int] = lambda texts: 5 * len(texts)

    def default(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        size = body.get("dimensions")
        rows = []
        for index, text in enumerate(body["input"]):
            vector = vector_for(text) if size is None else [0.5] * size
            rows.append({"object": "embedding", "index": index, "embedding": float32(vector)})
        usage = {"prompt_tokens": self.tokens(body["input"]), "total_tokens": self.tokens(body["input"])}
        return httpx.Response(200, json={"object": "list", "data": rows, "usage": usage})


@pytest.fixture
def upstream(monkeypatch: pytest.MonkeyPatch) -> Upstream:
    fake = Upstream()
    monkeypatch.setattr(embedding_module, "open_client", fake.open)
    return fake


def invoke(credentials: dict, texts: list[str], input_type: EmbeddingInputType = EmbeddingInputType.DOCUMENT):
    return AtlasCloudTextEmbeddingModel([]).invoke("my/emb", credentials, texts, None, input_type)


def as_float32(value: float) -> float:
    return struct.unpack("<f", struct.pack("<f", value))[0]


def test_texts_are_embedded_in_order_with_compact_vectors_and_priced_usage(upstream):
    result = invoke(GATEWAY | {"input_price": "0.02"}, ["hello", "a", "world!"])
    assert result.model == "my/emb"
    assert result.embeddings == [[5.0, 104.0, 0.100000001], [1.0, 97.0, 0.100000001], [6.0, 119.0, 0.100000001]]
    assert as_float32(0.1) != 0.100000001, "the float32 is written with nine digits, not seventeen"
    [request] = upstream.requests
    assert str(request.url) == "https://gw.example.com/v1/embeddings"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert json.loads(request.content) == {
        "model": "my/emb",
        "input": ["hello", "a", "world!"],
        "encoding_format": "base64",
    }
    usage = result.usage
    assert (usage.tokens, usage.total_tokens) == (15, 15)
    assert (usage.unit_price, usage.price_unit, usage.total_price, usage.currency) == (
        Decimal("0.02"),
        Decimal("0.000001"),
        Decimal("0.0000003"),
        "USD",
    )
    assert 0 <= usage.latency < 60


def test_no_texts_no_request_and_no_usage(upstream):
    result = invoke(GATEWAY | {"input_price": "0.02"}, [])
    assert result.embeddings == [] and result.usage.tokens == 0 and result.usage.total_price == 0
    assert result.usage.unit_price == Decimal("0.02"), "the model's price, for nothing"
    assert upstream.requests == []


def test_a_request_stays_within_the_per_request_token_limit_with_margin(upstream):
    upstream.tokens = lambda texts: 1
    texts = [f"text {chr(65 + n % 26)} " + "word " * 1000 for n in range(250)]  # ~250,000 tokens in all
    result = invoke(GATEWAY | {"max_chunks": "2048", "dimensions": "2"}, texts)
    sent = [sum(count_text(text) for text in body["input"]) for body in upstream.bodies()]
    assert len(sent) == 2 and sum(sent) == sum(count_text(text) for text in texts)
    assert max(sent) <= 300_000 * 0.8, "the protocol's 300,000 tokens a request, less a fifth in reserve"
    assert len(result.embeddings) == 250


def test_an_endpoint_that_hangs_past_the_calls_budget_is_named(upstream, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(deadline_module.time, "monotonic", clock.monotonic)

    def hanging(request: httpx.Request) -> httpx.Response:
        clock.now += 10_000
        raise httpx.ReadTimeout("no answer", request=request)

    upstream.handler = hanging
    with pytest.raises(InvokeConnectionError, match=r"^The endpoint gw\.example\.com did not finish within \d+ s"):
        invoke(GATEWAY, ["x"])


def test_queries_and_documents_get_their_prefixes(upstream):
    credentials = GATEWAY | {"query_prefix": "query: ", "document_prefix": "passage: "}
    invoke(credentials, ["cats"], EmbeddingInputType.QUERY)
    invoke(credentials, ["cats"], EmbeddingInputType.DOCUMENT)
    assert [body["input"] for body in upstream.bodies()] == [["query: cats"], ["passage: cats"]]


def test_the_forms_dimensions_are_asked_for_and_checked(upstream):
    result = invoke(GATEWAY | {"dimensions": "4"}, ["x"])
    assert upstream.bodies()[0]["dimensions"] == 4
    assert result.embeddings == [[0.5, 0.5, 0.5, 0.5]]


def test_texts_per_request_follow_the_forms_max_chunks(upstream):
    result = invoke(GATEWAY | {"max_chunks": "2"}, ["a", "bb", "ccc", "dddd", "eeeee"])
    assert sorted(len(body["input"]) for body in upstream.bodies()) == [1, 2, 2]
    assert [vector[0] for vector in result.embeddings] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert result.usage.tokens == 25, "every request's usage is summed"


def test_a_text_longer_than_the_context_is_sent_in_windows_and_merged(upstream):
    text = " ".join(f"w{n}" for n in range(60))
    result = invoke(GATEWAY | {"context_size": "20"}, [text, "short"])
    inputs = [text for body in upstream.bodies() for text in body["input"]]
    assert len(inputs) > 3 and "short" in inputs
    windows = [piece for piece in inputs if piece != "short"]
    assert "".join(windows) == text and all(count_text(piece) <= 16 for piece in windows)
    merged, short = result.embeddings
    assert short == [5.0, 115.0, 0.100000001]
    assert math.isclose(math.hypot(*merged), 1.0, rel_tol=1e-6), "windows are averaged into one unit vector"


def test_a_reply_too_big_for_the_daemon_is_refused_with_advice(upstream):
    with pytest.raises(InvokeBadRequestError, match=r"over Dify's 5 MiB limit for one reply; lower max_chunks to 2\b"):
        invoke(GATEWAY | {"dimensions": "100000"}, ["a", "b", "c", "d"])


def test_an_endpoint_that_serves_no_embeddings_says_so(upstream):
    upstream.handler = lambda request: httpx.Response(404, json={"error": {"message": "model not found"}})
    with pytest.raises(InvokeBadRequestError) as raised:
        invoke(GATEWAY, ["x"])
    message = str(raised.value)
    assert message.startswith(
        "AtlasCloud (or the configured endpoint) does not serve embeddings for model 'my/emb': "
        "The endpoint gw.example.com answered HTTP 404: model not found. Check the model id"
    )
    assert message.endswith(
        "AtlasCloud lists no embedding models today; use an endpoint_url that serves /v1/embeddings."
    )
    assert ".." not in message


def test_other_failures_keep_their_class_and_never_show_the_key(upstream):
    upstream.handler = lambda request: httpx.Response(401, json={"error": {"message": f"key {KEY} revoked"}})
    with pytest.raises(InvokeAuthorizationError) as raised:
        invoke(GATEWAY, ["x"])
    assert "does not serve" not in str(raised.value) and KEY not in str(raised.value)
    assert str(raised.value).startswith("The endpoint gw.example.com answered HTTP 401")


def test_token_counts_include_the_document_prefix():
    model = AtlasCloudTextEmbeddingModel([])
    counts = model.get_num_tokens("my/emb", GATEWAY | {"document_prefix": "passage: "}, ["hello world", ""])
    assert counts == [count_text("passage: hello world"), count_text("passage: ")]
    assert model.get_num_tokens("my/emb", GATEWAY, ["hello world"]) == [2]


# --- validation ----------------------------------------------------------------------------------


def test_validation_sends_the_forms_dimensions_within_the_validation_budget(upstream, monkeypatch):
    deadlines = []
    real_embed_all = embedding_module.embed_all

    def spy(client, model, batches, dimensions, deadline):
        deadlines.append(deadline)
        return real_embed_all(client, model, batches, dimensions, deadline)

    monkeypatch.setattr(embedding_module, "embed_all", spy)
    AtlasCloudTextEmbeddingModel([]).validate_credentials("my/emb", GATEWAY | {"dimensions": "8"})
    assert upstream.bodies() == [{"model": "my/emb", "input": ["ping"], "encoding_format": "base64", "dimensions": 8}]
    assert upstream.connections[0].base_url == "https://gw.example.com/v1"
    assert [(deadline.budget_s, deadline.what) for deadline in deadlines] == [
        (VALIDATION_BUDGET_S, "the endpoint gw.example.com")
    ]


def test_validation_catches_a_model_that_ignores_the_dimensions(upstream):
    def wrong_width(request: httpx.Request) -> httpx.Response:
        rows = [{"index": 0, "embedding": [0.5] * 3}]
        return httpx.Response(200, json={"data": rows})

    upstream.handler = wrong_width
    with pytest.raises(CredentialsValidateFailedError, match="asked for 8 dimensions, got 3"):
        AtlasCloudTextEmbeddingModel([]).validate_credentials("my/emb", GATEWAY | {"dimensions": "8"})


def test_validation_explains_an_endpoint_without_embeddings(upstream):
    upstream.handler = lambda request: httpx.Response(404, json={"error": {"message": "no route"}})
    with pytest.raises(CredentialsValidateFailedError) as raised:
        AtlasCloudTextEmbeddingModel([]).validate_credentials("my/emb", GATEWAY)
    assert str(raised.value).startswith(
        "AtlasCloud (or the configured endpoint) does not serve embeddings for model 'my/emb': "
        "The endpoint gw.example.com answered HTTP 404"
    )


def test_validation_reports_other_failures_with_the_model_named(upstream):
    upstream.handler = lambda request: httpx.Response(401, json={"error": {"message": "bad key"}})
    with pytest.raises(CredentialsValidateFailedError) as raised:
        AtlasCloudTextEmbeddingModel([]).validate_credentials("my/emb", GATEWAY)
    assert str(raised.value).startswith("Embedding model 'my/emb': The endpoint gw.example.com answered HTTP 401")


def test_validation_reports_a_form_mistake_in_its_own_words(upstream):
    with pytest.raises(CredentialsValidateFailedError) as raised:
        AtlasCloudTextEmbeddingModel([]).validate_credentials("my/emb", GATEWAY | {"dimensions": "-1"})
    assert str(raised.value) == "'dimensions' must be greater than 0, got -1"
    assert upstream.requests == []


def test_the_schema_of_a_user_added_model_comes_from_its_form():
    entity = AtlasCloudTextEmbeddingModel([]).get_customizable_model_schema("my/emb", GATEWAY | {"dimensions": "x"})
    assert entity is None, "a form Dify cannot use gives no schema; validation says why"
