from __future__ import annotations

import pytest

from provider.connection import DEFAULT_ENDPOINT, connection_from_credentials, normalise_endpoint
from provider.errors.tree import EndpointError


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


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://api.atlascloud.ai/V1", DEFAULT_ENDPOINT),
        ("HTTPS://API.ATLASCLOUD.AI/V1/Chat/Completions", DEFAULT_ENDPOINT),
        ("https://api.atlascloud.ai/v1/V1", DEFAULT_ENDPOINT),
        ("https://gw.example.com/Team/V1", "https://gw.example.com/Team/v1"),
        ("http://[::1]:8080/v1?x=1#frag", "http://[::1]:8080/v1"),
    ],
)
def test_paths_are_matched_without_regard_to_case(raw, expected):
    assert normalise_endpoint(raw) == expected


def test_a_v1_base_of_any_case_uses_the_free_balance_check():
    connection = connection_from_credentials({"api_key": "k", "endpoint_url": "https://api.atlascloud.ai/V1/"})
    assert connection.balance_url == "https://api.atlascloud.ai/public/v1/balance"
    gateway = connection_from_credentials({"api_key": "k", "endpoint_url": "https://gw.example.com/proxy"})
    assert gateway.balance_url is None


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("http://[::1/v1", "not a valid URL"),
        ("http://0177.0.0.1/v1", "host or port is not valid"),
        ("http://h:99999/v1", "not a valid URL"),
        ("http://h:0/v1", "port from 1 to 65535"),
        ("http://:8080/v1", "needs a host name"),
        ("https://user:pass@api.atlascloud.ai/v1", "user name or password"),
        ("https://" + "a" * 100_000 + ".com/v1", "characters long"),
        ("file:///etc/passwd", "must start with https://"),
        ("javascript:alert(1)", "must start with https://"),
    ],
)
def test_every_malformed_endpoint_is_refused_with_a_sentence_and_never_echoed(raw, words):
    with pytest.raises(EndpointError, match=words) as raised:
        normalise_endpoint(raw)
    assert raw not in str(raised.value) and "pass@" not in str(raised.value)


def test_a_key_with_spaces_or_control_characters_is_refused():
    with pytest.raises(EndpointError, match="spaces or control characters"):
        connection_from_credentials({"api_key": "apikey-abc def"})


def test_the_label_names_a_gateway_by_host_only():
    assert connection_from_credentials({"api_key": "k"}).label == "AtlasCloud"
    gateway = connection_from_credentials({"api_key": "k", "endpoint_url": "https://llm.corp.example/v1"})
    assert gateway.label == "the endpoint llm.corp.example"
