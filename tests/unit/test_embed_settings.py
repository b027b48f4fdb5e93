"""A user-added embedding model's form: the window each text is cut to, the texts per Dify call
(lowered so one reply fits the daemon's line), the query and document prefixes, and the schema
Dify shows for it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from dify_plugin.entities.model import EmbeddingInputType, FetchFrom, ModelPropertyKey, ModelType

from models.text_embedding.batching import MAX_INPUTS_PER_REQUEST, MAX_TOKENS_PER_INPUT
from models.text_embedding.reply import texts_that_fit
from models.text_embedding.settings import EmbeddingSettings, customizable_embedding_schema, embedding_settings
from provider.errors.tree import FormError


def settings(context_size: int = 8192, max_inputs: int = 256, dimensions: int | None = None) -> EmbeddingSettings:
    return EmbeddingSettings(context_size, max_inputs, dimensions, "q: ", "d: ")


def test_an_empty_form_gives_the_defaults():
    assert embedding_settings({"api_key": "k"}) == EmbeddingSettings(
        context_size=MAX_TOKENS_PER_INPUT, max_inputs=256, dimensions=None, query_prefix="", document_prefix=""
    )
    assert MAX_TOKENS_PER_INPUT == 8192


def test_every_form_field_is_read():
    form = {
        "context_size": "512",
        "max_chunks": "32",
        "dimensions": "1024",
        "query_prefix": "query: ",
        "document_prefix": "passage: ",
    }
    assert embedding_settings(form) == EmbeddingSettings(512, 32, 1024, "query: ", "passage: ")


def test_texts_per_request_are_capped_at_the_protocols_limit():
    assert embedding_settings({"max_chunks": "100000"}).max_inputs == MAX_INPUTS_PER_REQUEST == 2048
    assert embedding_settings({"max_chunks": "2048"}).max_inputs == 2048


@pytest.mark.parametrize("empty", [None, ""])
def test_empty_dimensions_mean_the_models_own(empty):
    assert embedding_settings({"dimensions": empty}).dimensions is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("dimensions", "0", "'dimensions' must be greater than 0"),
        ("dimensions", "wide", "'dimensions' must be a whole number"),
        ("context_size", "-5", "'context_size' must be greater than 0"),
        ("max_chunks", "1.5", "'max_chunks' must be a whole number"),
    ],
)
def test_a_bad_number_is_the_forms_error(field, value, message):
    with pytest.raises(FormError, match=message):
        embedding_settings({field: value})


def test_prefixes_are_text_and_none_is_no_prefix():
    assert embedding_settings({"query_prefix": None, "document_prefix": None}).prefix(EmbeddingInputType.QUERY) == ""
    assert embedding_settings({"query_prefix": 7}).query_prefix == "7"


def test_queries_and_documents_get_their_own_prefix():
    assert settings().prefix(EmbeddingInputType.QUERY) == "q: "
    assert settings().prefix(EmbeddingInputType.DOCUMENT) == "d: "


@pytest.mark.parametrize(
    ("context_size", "window"),
    [(8192, 6553), (8191, 6552), (100_000, 6553), (100, 80), (21, 16), (20, 16), (1, 16)],
)
def test_the_window_keeps_a_fifth_in_reserve_and_never_goes_below_16_tokens(context_size, window):
    assert settings(context_size=context_size).window_tokens == window


def test_texts_per_call_are_lowered_until_one_reply_fits_the_daemons_line():
    assert texts_that_fit(4096) == 66 and texts_that_fit(1024) == 267
    assert settings(max_inputs=256).max_chunks == 66, "no dimensions set: a 4096-wide model is assumed"
    assert settings(max_inputs=256, dimensions=1024).max_chunks == 256
    assert settings(max_inputs=300, dimensions=1024).max_chunks == 267
    assert settings(max_inputs=10).max_chunks == 10


def test_the_schema_shows_context_texts_per_call_and_an_input_price_only():
    entity = customizable_embedding_schema(
        "my/emb", {"context_size": "512", "max_chunks": "500", "dimensions": "1024", "input_price": "0.02"}
    )
    assert (entity.model, entity.model_type, entity.fetch_from) == (
        "my/emb",
        ModelType.TEXT_EMBEDDING,
        FetchFrom.CUSTOMIZABLE_MODEL,
    )
    assert entity.model_properties == {ModelPropertyKey.CONTEXT_SIZE: 512, ModelPropertyKey.MAX_CHUNKS: 267}
    assert entity.pricing is not None
    assert (entity.pricing.input, entity.pricing.output) == (Decimal("0.02"), None)
