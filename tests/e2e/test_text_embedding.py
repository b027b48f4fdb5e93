"""Text embedding through the real plugin process against the simulator's /v1/embeddings.

Expectations come from the simulator's own code (vectors, token counts) or from token ids OpenAI
published for cl100k_base, never from the plugin's tokenizer.
"""

from __future__ import annotations

import array
import math

import pytest

from testkit.plugin_driver import DAEMON_MAX_LINE_BYTES, action_request
from testkit.simulator.embeddings import server_tokens, vector_for

MODEL = "qwen/qwen3-embedding-8b"


def embed(plugin, credentials, texts, input_type="document"):
    return plugin.request(
        action_request(
            "invoke_text_embedding", "text-embedding", MODEL, credentials, texts=texts, input_type=input_type
        )
    )


def schema(plugin, credentials) -> dict:
    request = action_request("get_ai_model_schemas", "text-embedding", MODEL, credentials)
    return plugin.request(request).single()["model_schema"]


@pytest.fixture
def emb_creds(sim, creds):
    sim.state.embeddings_enabled = True
    return {**creds, "context_size": "8192", "max_chunks": "64", "input_price": "0.02"}


def same_float32(a, b) -> bool:
    """Equal at float32 precision: what the server sent, whatever the JSON between."""
    return array.array("f", a) == array.array("f", b)


def close(a, b, tol=1e-7) -> bool:
    return len(a) == len(b) and all(abs(x - y) < tol for x, y in zip(a, b, strict=True))


def test_vectors_come_back_in_input_order_with_usage(plugin, sim, emb_creds):
    texts = [f"chunk number {n} about topic {n % 7}" for n in range(10)]
    result = embed(plugin, emb_creds, texts).single()
    assert len(result["embeddings"]) == 10
    for text, vector in zip(texts, result["embeddings"], strict=True):
        assert same_float32(vector, vector_for(text, 64))
    body = sim.last_body("/v1/embeddings")
    assert body["encoding_format"] == "base64" and body["input"] == texts
    usage = result["usage"]
    assert usage["tokens"] == sum(server_tokens(t) for t in texts), "the server's count, passed through"
    assert float(usage["unit_price"]) == pytest.approx(0.02)


def test_usage_is_counted_offline_when_the_server_sends_none(plugin, sim, emb_creds):
    sim.state.send_usage = False
    result = embed(plugin, emb_creds, ["hello world", "tiktoken is great!"]).single()
    # cl100k_base: "hello world" -> [15339, 1917] (tiktoken's tests/test_encoding.py);
    # "tiktoken is great!" -> [83, 1609, 5963, 374, 2294, 0] (OpenAI cookbook, counting tokens).
    assert result["usage"]["tokens"] == 2 + 6


def test_float_replies_are_accepted_too(plugin, sim, emb_creds):
    sim.state.embedding.floats_only = True
    result = embed(plugin, emb_creds, ["alpha", "beta"]).single()
    assert same_float32(result["embeddings"][1], vector_for("beta", 64))


def test_batches_respect_the_item_limit(plugin, sim, emb_creds):
    texts = [f"text {n}" for n in range(10)]
    result = embed(plugin, {**emb_creds, "max_chunks": "3"}, texts).single()
    sizes = sorted(len(r.body["input"]) for r in sim.requests("/v1/embeddings"))
    assert sizes == [1, 3, 3, 3]
    assert all(same_float32(v, vector_for(t, 64)) for t, v in zip(texts, result["embeddings"], strict=True))


def test_batches_respect_the_token_budget(plugin, sim, emb_creds):
    # 80 texts of 6000-9000 server tokens ("word12" is 3 to a digit-splitting tokenizer): over
    # 600k tokens, twice the 300k per-request ceiling the simulator enforces.
    texts = [f"word{n} " * 3000 for n in range(80)]
    result = embed(plugin, {**emb_creds, "max_chunks": "2048"}, texts)
    assert result.ok, result.error
    requests = sim.requests("/v1/embeddings")
    assert len(requests) >= 3
    assert len(result.single()["embeddings"]) == 80


def test_digit_heavy_texts_stay_within_the_servers_input_limit(plugin, sim, emb_creds):
    # 6000 digits are 2000 cl100k tokens but 6000 tokens to a per-digit tokenizer (the simulator's).
    sim.state.embedding.max_input_tokens = 2500
    table = " ".join(f"{n:06d}" for n in range(1000))
    result = embed(plugin, {**emb_creds, "context_size": "2500"}, [table])
    assert result.ok, result.error
    windows = [t for r in sim.requests("/v1/embeddings") for t in r.body["input"]]
    assert "".join(windows) == table and len(windows) >= 3


def test_long_texts_are_split_into_windows_and_merged(plugin, sim, emb_creds):
    # "hello world" is [15339, 1917] in cl100k_base and cl100k's pattern makes every further
    # " world" its own piece, so this text is exactly 3000 tokens: windows of 800 (80 % of the
    # 1000-token context) are 800, 800, 800 and 600 tokens, weighted as such.
    long_text = "hello" + " world" * 2999
    credentials = {**emb_creds, "context_size": "1000"}
    result = embed(plugin, credentials, ["short one", long_text]).single()
    windows = [t for r in sim.requests("/v1/embeddings") for t in r.body["input"] if t != "short one"]
    assert windows == ["hello" + " world" * 799, " world" * 800, " world" * 800, " world" * 600]
    weighted = zip((800, 800, 800, 600), windows, strict=True)
    vectors = [(weight, vector_for(text, 64)) for weight, text in weighted]
    mean = [sum(weight * vector[d] for weight, vector in vectors) for d in range(64)]
    norm = math.sqrt(sum(v * v for v in mean))
    merged = result["embeddings"][1]
    assert close(merged, [v / norm for v in mean])
    assert same_float32(result["embeddings"][0], vector_for("short one", 64))


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
    # The server's reply is at fault, not the user's request.
    assert result.error_type == "InvokeServerUnavailableError" and expected in result.message


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
    assert schema(plugin, emb_creds)["model_properties"] == {"context_size": 8192, "max_chunks": 64}


# --- the daemon's 5 MiB line: Dify's batch of max_chunks texts must always fit -------------------
# Dify sends the schema's max_chunks texts per call; the SDK answers with one JSON line. The
# driver kills the plugin, as the daemon does, if that line is longer than DAEMON_MAX_LINE_BYTES.
# Pinned expectations: floor((0.9 x 5 MiB - 64 KiB) / (17 bytes x dimensions + 2)), where 17 is
# the longest JSON value at float32 precision ("-0.0000123456789,").
@pytest.mark.parametrize(
    ("form_dimensions", "max_chunks"), [(None, 66), ("4096", 66), ("3072", 89), ("1536", 178), ("768", 256)]
)
def test_max_chunks_is_derived_from_the_dimensions(plugin, emb_creds, form_dimensions, max_chunks):
    credentials = {**emb_creds, "max_chunks": "256"}
    if form_dimensions:
        credentials["dimensions"] = form_dimensions
    assert schema(plugin, credentials)["model_properties"]["max_chunks"] == max_chunks


def longest_reply_line(plugin, call) -> tuple[object, int]:
    """Run `call` and measure the longest session line the plugin wrote for it."""
    seen = len(plugin.wire_lines)
    result = call()
    return result, max((len(line.encode()) for line in plugin.wire_lines[seen:]), default=0)


@pytest.mark.parametrize(("form_dimensions", "served_dimensions"), [("4096", 4096), ("1536", 1536), (None, 4096)])
def test_the_largest_batch_dify_sends_fits_the_daemons_line(plugin, sim, emb_creds, form_dimensions, served_dimensions):
    sim.state.embedding.dims = served_dimensions
    sim.state.embedding.longest_values = True  # every value in its longest JSON form
    credentials = {**emb_creds, "max_chunks": "2048", "dimensions": form_dimensions or ""}
    count = schema(plugin, credentials)["model_properties"]["max_chunks"]
    texts = [f"knowledge base chunk {n}" for n in range(count)]
    result, line = longest_reply_line(plugin, lambda: embed(plugin, credentials, texts))
    assert result.ok, result.error
    assert plugin.alive
    vectors = result.single()["embeddings"]
    assert len(vectors) == count
    assert all(
        same_float32(v, vector_for(t, served_dimensions, longest=True)) for t, v in zip(texts, vectors, strict=True)
    )
    print(f"{count} texts x {served_dimensions} dimensions: reply line of {line:,} bytes")
    assert 0.8 * DAEMON_MAX_LINE_BYTES < line <= DAEMON_MAX_LINE_BYTES, "the worst case, and under the cap"


def test_more_dimensions_than_the_form_says_is_a_clear_error(plugin, sim, emb_creds):
    sim.state.embedding.dims = 4096
    sim.state.embedding.ignore_dimensions = True
    credentials = {**emb_creds, "max_chunks": "2048", "dimensions": "1536"}
    texts = [f"chunk {n}" for n in range(schema(plugin, credentials)["model_properties"]["max_chunks"])]
    result = embed(plugin, credentials, texts)
    assert result.error_type == "InvokeBadRequestError"
    assert "asked for 1536 dimensions, got 4096" in result.message
    assert plugin.alive and embed(plugin, emb_creds, ["still serving"]).ok


def test_a_reply_too_long_for_the_daemon_is_refused_with_the_batch_that_fits(plugin, sim, emb_creds):
    # Dimensions unset (the plugin assumes 4096) and a server that answers with 8192.
    sim.state.embedding.dims = 8192
    credentials = {**emb_creds, "max_chunks": "2048"}
    texts = [f"chunk {n}" for n in range(66)]
    result = embed(plugin, credentials, texts)
    assert result.error_type == "InvokeBadRequestError"
    assert "66 texts x 8192 dimensions is up to 9.3 MB, over Dify's 5 MiB limit" in result.message
    assert "lower max_chunks to 33" in result.message
    assert plugin.alive
    advised = embed(plugin, {**credentials, "max_chunks": "33"}, texts[:33])
    assert advised.ok and len(advised.single()["embeddings"]) == 33


def test_batches_of_one_call_run_concurrently_and_bounded(plugin, sim, emb_creds):
    sim.state.embedding.latency_s = 0.3
    texts = [f"t{n}" for n in range(12)]
    result = embed(plugin, {**emb_creds, "max_chunks": "2"}, texts)
    assert result.ok and len(sim.requests("/v1/embeddings")) == 6
    assert sim.state.embedding.max_in_flight == 4, "4 requests in flight at once, never more"
