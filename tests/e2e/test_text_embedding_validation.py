"""Validating a user-added embedding model asks exactly what every call will ask, the form's
`dimensions` included: a model that refuses them, or ignores them, never validates."""

from __future__ import annotations

import pytest

from testkit.plugin_driver import action_request

MODEL = "acme/embedder"


@pytest.fixture
def emb_creds(sim, creds):
    sim.state.embeddings_enabled = True
    return {**creds, "context_size": "8192", "max_chunks": "64", "input_price": "0.02"}


def validate(plugin, credentials):
    return plugin.request(action_request("validate_model_credentials", "text-embedding", MODEL, credentials))


def test_a_model_that_refuses_the_forms_dimensions_does_not_validate(plugin, sim, emb_creds):
    sim.state.embedding.refuse_dimensions = True
    result = validate(plugin, {**emb_creds, "dimensions": "256"})
    assert result.error_type == "CredentialsValidateFailedError"
    assert "dimensions" in result.message and "HTTP 400" in result.message
    assert sim.last_body("/v1/embeddings")["dimensions"] == 256, "validation asked with the form's dimensions"
    assert validate(plugin, emb_creds).error is None, "without dimensions in the form the same model validates"


def test_a_model_that_ignores_the_forms_dimensions_does_not_validate(plugin, sim, emb_creds):
    sim.state.embedding.ignore_dimensions = True
    result = validate(plugin, {**emb_creds, "dimensions": "32"})
    assert result.error_type == "CredentialsValidateFailedError"
    assert "32" in result.message
