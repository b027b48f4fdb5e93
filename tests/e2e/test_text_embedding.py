"""Text embedding through the real plugin process against the simulator's /v1/embeddings."""

from __future__ import annotations

import math

import pytest

from models.vision_utils.tokens import encoding
from tests.plugin_driver import action_request
from tests.simulator.embeddings import vector_for

MODEL = "qwen/qwen3-embedding-8b"


def embed(plugin, credentials, texts, input_type="document"):
    return plugin.request(
        action_request(
            "invoke_text_embedding", "text-embedding", MODEL, credentials, texts=texts, input_type=input_type
        )
    )


@pytest.fixture
def emb_creds(sim, creds):
    sim.state.embeddings_enabled = True
    return {**creds, "context_size": "8192", "max_chunks": "64", "input_price": "0.02"}


def close(a, b, tol=1e-5) -> bool:
    return len(a) == len(b) and all(abs(x - y) < tol for x, y in zip(a, b, strict=True))


def test_vectors_come_back_in_input_order_with_usage(plugin, sim, emb_creds):
    texts = [f"chunk number {n} about topic {n % 7}" for n in range(10)]
    result = embed(plugin, emb_creds, texts).single()
    assert len(result["embeddings"]) == 10
    for text, vector in zip(texts, result["embeddings"], strict=True):
        assert close(vector, vector_for(text, 64))
    body = sim.last_body("/v1/embeddings")
    assert body["encoding_format"] == "base64" and body["input"] == texts
    usage = result["usage"]
    assert usage["tokens"] == sum(math.ceil(len(encoding().encode(t)) * 1.1) for t in texts)
    assert float(usage["unit_price"]) == pytest.approx(0.02)


def test_usage_is_counted_offline_when_the_server_sends_none(plugin, sim, emb_creds):
    sim.state.send_usage = False
    result = embed(plugin, emb_creds, ["hello world", "tiktoken is great!"]).single()
    assert result["usage"]["tokens"] == 2 + 6


def test_float_replies_are_accepted_too(plugin, sim, emb_creds):
    sim.state.embedding.floats_only = True
    result = embed(plugin, emb_creds, ["alpha", "beta"]).single()
    assert close(result["embeddings"][1], vector_for("beta", 64))


def test_batches_respect_the_item_limit(plugin, sim, emb_creds):
    texts = [f"text {n}" for n in range(10)]
    result = embed(plugin, {**emb_creds, "max_chunks": "3"}, texts).single()
    sizes = sorted(len(r.body["input"]) for r in sim.requests("/v1/embeddings"))
    assert sizes == [1, 3, 3, 3]
    assert all(close(v, vector_for(t, 64)) for t, v in zip(texts, result["embeddings"], strict=True))


def test_batches_respect_the_token_budget(plugin, sim, emb_creds):
    # 80 texts of ~6000 tokens: 480k tokens, far over the 300k per-request ceiling.
    texts = [f"word{n} " * 3000 for n in range(80)]
    result = embed(plugin, {**emb_creds, "max_chunks": "2048"}, texts)
    assert result.ok, result.error
    requests = sim.requests("/v1/embeddings")
    assert len(requests) >= 2
    assert len(result.single()["embeddings"]) == 80


def test_long_texts_are_split_into_windows_and_merged(plugin, sim, emb_creds):
    long_text = " ".join(f"sentence {n} of a very long document." for n in range(3000))
    credentials = {**emb_creds, "context_size": "1000"}
    result = embed(plugin, credentials, ["short one", long_text]).single()
    windows = [t for r in sim.requests("/v1/embeddings") for t in r.body["input"] if t != "short one"]
    assert len(windows) > 10
    assert all(len(encoding().encode(w)) <= 800 for w in windows), "80 % of the 1000-token context"
    weights = [len(encoding().encode(w)) for w in windows]
    mean = [sum(w * vector_for(t, 64)[d] for w, t in zip(weights, windows, strict=True)) for d in range(64)]
    norm = math.sqrt(sum(v * v for v in mean))
    merged = result["embeddings"][1]
    assert abs(sum(v * v for v in merged) - 1) < 1e-6
    assert close(merged, [v / norm for v in mean], tol=1e-2)


def test_query_and_document_prefixes(plugin, sim, emb_creds):
    credentials = {**emb_creds, "query_prefix": "Query: ", "document_prefix": "Passage: "}
    embed(plugin, credentials, ["what is rag"], input_type="query").single()
    assert sim.last_body("/v1/embeddings")["input"] == ["Query: what is rag"]
    embed(plugin, credentials, ["rag is retrieval"], input_type="document").single()
    assert sim.last_body("/v1/embeddings")["input"] == ["Passage: rag is retrieval"]


def test_dimensions_are_requested_and_checked(plugin, sim, emb_creds):
    result = embed(plugin, {**emb_creds, "dimensions": "32"}, ["a", "b"]).single()
    assert sim.last_body("/v1/embeddings")["dimensions"] == 32
    assert {len(v) for v in result["embeddings"]} == {32}


@pytest.mark.parametrize(
    ("broken", "expected"), [("nan", "NaN"), ("short_dim", "different sizes"), ("missing_row", "1 vectors for 2")]
)
def test_untrustworthy_replies_fail_clearly(plugin, sim, emb_creds, broken, expected):
    sim.state.embedding.broken = broken
    sim.state.embedding.shuffle = False
    result = embed(plugin, emb_creds, ["a", "b"])
    assert result.error_type == "InvokeBadRequestError" and expected in result.message


def test_atlascloud_today_says_embeddings_are_not_served(plugin, sim, creds):
    result = embed(plugin, creds, ["hello"])
    assert result.error_type == "InvokeBadRequestError"
    assert "does not serve embeddings" in result.message
    check = plugin.request(action_request("validate_model_credentials", "text-embedding", MODEL, creds))
    assert check.error_type == "CredentialsValidateFailedError" and "does not serve embeddings" in check.message


def test_validation_embeds_one_text(plugin, sim, emb_creds):
    ok = plugin.request(action_request("validate_model_credentials", "text-embedding", MODEL, emb_creds))
    assert ok.single()["result"] is True
    assert sim.last_body("/v1/embeddings")["input"] == ["ping"]


def test_failure_in_the_middle_of_a_batch_job_fails_the_whole_call(plugin, sim, emb_creds):
    sim.inject("status", status=500, message="node lost", times=50, path="/v1/embeddings")
    sim.state.embedding.latency_s = 0.0
    texts = [f"t{n}" for n in range(20)]
    result = embed(plugin, {**emb_creds, "max_chunks": "5"}, texts)
    assert result.error_type == "InvokeServerUnavailableError" and "node lost" in result.message
    assert result.outputs == [], "no partial result"


def test_transient_failures_are_retried(plugin, sim, emb_creds):
    sim.inject("status", status=429, message="slow down", times=2, path="/v1/embeddings")
    result = embed(plugin, emb_creds, ["a", "b"]).single()
    assert len(result["embeddings"]) == 2


def test_wrong_key_is_an_authorization_error(plugin, sim, emb_creds):
    result = embed(plugin, {**emb_creds, "api_key": "apikey-bad"}, ["a"])
    assert result.error_type == "InvokeAuthorizationError"


def test_token_counts_per_text(plugin, emb_creds):
    counted = plugin.request(
        action_request("get_text_embedding_num_tokens", "text-embedding", MODEL, emb_creds, texts=["hello world", ""])
    ).single()["num_tokens"]
    assert counted == [2, 0]


def test_schema_reports_context_and_batch_size(plugin, emb_creds):
    schema = plugin.request(action_request("get_ai_model_schemas", "text-embedding", MODEL, emb_creds)).single()[
        "model_schema"
    ]
    assert schema["model_properties"] == {"context_size": 8192, "max_chunks": 64}
