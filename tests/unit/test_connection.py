from __future__ import annotations

import pytest

from provider.connection import DEFAULT_ENDPOINT, EndpointError, connection_from_credentials, normalise_endpoint


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, DEFAULT_ENDPOINT),
        ("   ", DEFAULT_ENDPOINT),
        ("https://api.atlascloud.ai/v1", DEFAULT_ENDPOINT),
        ("https://api.atlascloud.ai/v1/", DEFAULT_ENDPOINT),
        ("https://api.atlascloud.ai", DEFAULT_ENDPOINT),
        ("https://api.atlascloud.ai/v1/v1/", DEFAULT_ENDPOINT),
        ("https://api.atlascloud.ai/v1/chat/completions", DEFAULT_ENDPOINT),
        ("https://gw.example.com/openai/v1/embeddings", "https://gw.example.com/openai/v1"),
        ("http://127.0.0.1:8080/proxy", "http://127.0.0.1:8080/proxy"),
    ],
)
def test_normalise_endpoint(raw, expected):
    assert normalise_endpoint(raw) == expected


@pytest.mark.parametrize("raw", ["ftp://x.y", "api.atlascloud.ai/v1", "https://"])
def test_bad_endpoints_are_rejected(raw):
    with pytest.raises(EndpointError):
        normalise_endpoint(raw)


def test_credentials_are_read_not_modified_and_the_key_is_hidden():
    credentials = {"api_key": "  apikey-secret  ", "endpoint_url": "https://api.atlascloud.ai/"}
    snapshot = dict(credentials)
    connection = connection_from_credentials(credentials)
    assert credentials == snapshot
    assert connection.api_key == "apikey-secret"
    assert "apikey-secret" not in repr(connection)
    assert connection.balance_url == "https://api.atlascloud.ai/public/v1/balance"


def test_empty_key_is_rejected():
    with pytest.raises(EndpointError, match="API key is empty"):
        connection_from_credentials({"api_key": " "})
