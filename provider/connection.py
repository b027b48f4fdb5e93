"""Provider credentials -> one normalised AtlasCloud connection and the shared openai client.

Every model type (LLM, embedding, rerank) reaches AtlasCloud only through `open_client`, so
the base URL, auth header, timeouts, retries and User-Agent are decided here and nowhere else.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

import httpx2
import openai

DEFAULT_ENDPOINT = "https://api.atlascloud.ai/v1"
PLUGIN_VERSION = "0.1.0"
USER_AGENT = f"dify-plugin-atlascloud/{PLUGIN_VERSION}"

# Reasoning models can think for minutes before the first content token; the read timeout
# must allow that, while a dead host should fail fast on connect. Operators may change it.
READ_TIMEOUT_S = float(os.environ.get("ATLASCLOUD_READ_TIMEOUT_S") or 600.0)
CONNECT_TIMEOUT_S = 10.0
# 429 and 5xx/connection failures are retried with exponential backoff by the openai client.
MAX_RETRIES = 2

# Paths users paste by mistake when they copy a full request URL into "endpoint_url".
_OPERATION_SUFFIXES = ("/chat/completions", "/completions", "/embeddings", "/rerank", "/models")


class EndpointError(ValueError):
    """The configured endpoint URL cannot be used."""


@dataclass(frozen=True)
class Connection:
    """Everything needed to talk to one AtlasCloud (or compatible gateway) endpoint."""

    base_url: str
    api_key: str = field(repr=False)

    @property
    def balance_url(self) -> str:
        """AtlasCloud's billing API lives beside /v1, at /public/v1/balance."""
        root = self.base_url.removesuffix("/v1")
        return f"{root}/public/v1/balance"


def normalise_endpoint(raw: str | None) -> str:
    """Return a base URL that ends in the API version path, without a trailing slash.

    Accepts what administrators actually type: blanks (-> default), a bare host
    (-> host + /v1), trailing slashes, a doubled /v1/v1 and a pasted operation path.
    """
    text = (raw or "").strip()
    if not text:
        return DEFAULT_ENDPOINT
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise EndpointError(f"Endpoint URL {text!r} is not an http(s) URL; leave it empty to use {DEFAULT_ENDPOINT}.")
    path = parts.path.rstrip("/")
    for suffix in _OPERATION_SUFFIXES:
        if path.endswith(suffix):
            path = path[: -len(suffix)].rstrip("/")
            break
    while path.endswith("/v1/v1"):
        path = path[: -len("/v1")]
    if not path:
        path = "/v1"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def connection_from_credentials(credentials: Mapping[str, object]) -> Connection:
    """Read `api_key` and `endpoint_url` without modifying the caller's mapping."""
    api_key = str(credentials.get("api_key") or "").strip()
    if not api_key:
        raise EndpointError("The AtlasCloud API key is empty; paste the key from the AtlasCloud console.")
    return Connection(base_url=normalise_endpoint(str(credentials.get("endpoint_url") or "")), api_key=api_key)


def open_client(connection: Connection, max_retries: int = MAX_RETRIES) -> openai.OpenAI:
    """The shared client; cached so repeated requests reuse pooled HTTPS connections."""
    return _cached_client(connection, max_retries)


@lru_cache(maxsize=32)
def _cached_client(connection: Connection, max_retries: int) -> openai.OpenAI:
    return openai.OpenAI(
        api_key=connection.api_key,
        base_url=connection.base_url,
        timeout=httpx2.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
        max_retries=max_retries,
        default_headers={"User-Agent": USER_AGENT, "X-Atlas-Client": "dify"},
    )
