"""The provider form -> one connection: exact refusals, paths kept or repaired, and the shared client."""

from __future__ import annotations

import pytest

from provider.connection import (
    DEFAULT_ENDPOINT,
    MAX_ENDPOINT_CHARS,
    USER_AGENT,
    Connection,
    connection_from_credentials,
    normalise_endpoint,
    open_client,
    request_headers,
)
from provider.errors.tree import EndpointError

EXAMPLE = "for example https://api.atlascloud.ai/v1, or leave it empty"


@pytest.mark.parametrize("credentials", [{}, {"api_key": None}, {"api_key": ""}, {"endpoint_url": DEFAULT_ENDPOINT}])
def test_a_missing_key_is_refused_with_a_sentence(credentials):
    with pytest.raises(EndpointError) as raised:
        connection_from_credentials(credentials)
    assert str(raised.value) == "The AtlasCloud API key is empty; paste the key from the AtlasCloud console."


@pytest.mark.parametrize("key", ["apikey-abc def", "apikey-abc\u200bdef", "apikey-abc\x00"])
def test_a_key_with_spaces_or_invisible_characters_is_refused_with_a_sentence(key):
    with pytest.raises(EndpointError) as raised:
        connection_from_credentials({"api_key": key})
    assert str(raised.value) == "The AtlasCloud API key contains spaces or control characters; paste it again."


def test_credentials_without_an_endpoint_use_atlascloud():
    assert connection_from_credentials({"api_key": "apikey-1"}) == Connection(DEFAULT_ENDPOINT, "apikey-1")
    assert connection_from_credentials({"api_key": "apikey-1", "endpoint_url": None}).base_url == DEFAULT_ENDPOINT


def test_url_credentials_are_refused_with_where_the_key_belongs():
    with pytest.raises(EndpointError) as raised:
        normalise_endpoint("https://user:pass@gw.example.com/v1")
    assert str(raised.value) == (
        "The endpoint URL must not contain a user name or password (user:password@); "
        "put the AtlasCloud key in the API Key field."
    )


def test_an_endpoint_of_the_maximum_length_is_accepted_and_one_more_character_is_refused():
    base = "https://gw.example.com/"
    longest = base + "p" * (MAX_ENDPOINT_CHARS - len(base))
    assert normalise_endpoint(longest) == longest
    with pytest.raises(EndpointError) as raised:
        normalise_endpoint(longest + "p")
    assert (
        str(raised.value)
        == f"The endpoint URL is {MAX_ENDPOINT_CHARS + 1} characters long; enter a base URL ({EXAMPLE})."
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://gw.example.com/BOX/", "https://gw.example.com/BOX"),
        ("https://gw.example.com/BOX/chat/completions", "https://gw.example.com/BOX"),
        ("https://gw.example.com/v1//chat/completions", "https://gw.example.com/v1"),
        ("https://gw.example.com/team/v1/v1", "https://gw.example.com/team/v1"),
        ("https://gw.example.com/team/V1/v1/V1/", "https://gw.example.com/team/v1"),
        ("https://gw.example.com/team/v1/v1/models", "https://gw.example.com/team/v1"),
    ],
)
def test_gateway_paths_are_kept_exactly_apart_from_the_repairs(raw, expected):
    assert normalise_endpoint(raw) == expected


def test_every_model_type_shares_one_client_per_connection_with_its_key_and_names():
    connection = Connection("https://gw.example.com/v1", "apikey-shared-client-1")
    client = open_client(connection)
    assert open_client(Connection("https://gw.example.com/v1", "apikey-shared-client-1")) is client
    assert open_client(Connection("https://gw.example.com/v1", "apikey-other")) is not client
    request = client._http.build_request("POST", "/chat/completions")
    assert str(request.url) == "https://gw.example.com/v1/chat/completions"
    assert request.headers["Authorization"] == "Bearer apikey-shared-client-1"
    assert request.headers["User-Agent"] == USER_AGENT and request.headers["X-Atlas-Client"] == "dify"


def test_every_request_carries_the_key_as_a_bearer_token_and_names_the_plugin():
    headers = request_headers(Connection("https://api.atlascloud.ai/v1", "apikey-headers-1"))
    assert headers == {
        "Authorization": "Bearer apikey-headers-1",
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
        "X-Atlas-Client": "dify",
    }
