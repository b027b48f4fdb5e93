"""Provider credentials -> one normalised AtlasCloud connection and its shared HTTP client.

Every model type (LLM, embedding, rerank) reaches AtlasCloud only through `open_client`, so
the base URL, auth header and User-Agent are decided here and nowhere else; timeouts and
retries are per invocation (provider/deadline.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import httpx

from provider.errors.tree import EndpointError

if TYPE_CHECKING:
    from provider.client import Client

DEFAULT_ENDPOINT = "https://api.atlascloud.ai/v1"
ATLASCLOUD_HOSTS = frozenset({"api.atlascloud.ai"})
PLUGIN_VERSION = "0.1.0"
USER_AGENT_NAME = "dify-plugin-atlascloud"
USER_AGENT = f"{USER_AGENT_NAME}/{PLUGIN_VERSION}"
MAX_ENDPOINT_CHARS = 2048

# Paths users paste by mistake when they copy a full request URL into "endpoint_url".
_OPERATION_SUFFIXES = ("/chat/completions", "/completions", "/embeddings", "/rerank", "/models")
_EXAMPLE = f"for example {DEFAULT_ENDPOINT}, or leave it empty"


@dataclass(frozen=True)
class Connection:
    """Everything needed to talk to one AtlasCloud (or compatible gateway) endpoint."""

    base_url: str
    api_key: str = field(repr=False)

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    @property
    def is_atlascloud(self) -> bool:
        return self.host in ATLASCLOUD_HOSTS

    @property
    def label(self) -> str:
        """Who answered, for error messages: AtlasCloud itself, or the gateway the admin configured."""
        return "AtlasCloud" if self.is_atlascloud else f"the endpoint {self.host}"

    @property
    def balance_url(self) -> str | None:
        """AtlasCloud's billing API lives beside /v1, at /public/v1/balance (None off a /v1 base)."""
        if not self.base_url.endswith("/v1"):
            return None
        return f"{self.base_url.removesuffix('/v1')}/public/v1/balance"


def normalise_endpoint(raw: str | None) -> str:
    """Return a base URL that ends in the API version path, without a trailing slash.

    Accepts what administrators actually type: blanks (-> default), a bare host (-> host + /v1),
    trailing slashes, any case of `/V1`, a doubled /v1/v1 and a pasted operation path. Refuses,
    with a sentence and without echoing the value (it may hold a secret), anything malformed.
    """
    text = (raw or "").strip()
    if not text:
        return DEFAULT_ENDPOINT
    if len(text) > MAX_ENDPOINT_CHARS:
        raise EndpointError(f"The endpoint URL is {len(text)} characters long; enter a base URL ({_EXAMPLE}).")
    try:
        parts = urlsplit(text)
        port = parts.port  # raises for a port outside 0-65535 or not a number
    except ValueError:
        raise EndpointError(f"The endpoint URL is not a valid URL; check brackets and port ({_EXAMPLE}).") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.netloc:
        raise EndpointError(f"The endpoint URL must start with https:// (or http://) and name a host ({_EXAMPLE}).")
    if "@" in parts.netloc:
        raise EndpointError(
            "The endpoint URL must not contain a user name or password (user:password@); "
            "put the AtlasCloud key in the API Key field."
        )
    if not parts.hostname or port == 0:
        raise EndpointError(f"The endpoint URL needs a host name and a port from 1 to 65535 ({_EXAMPLE}).")
    _check_host_syntax(f"{scheme}://{parts.netloc}")
    return urlunsplit((scheme, parts.netloc.lower(), _normalise_path(parts.path), "", ""))


def _check_host_syntax(origin: str) -> None:
    """The HTTP client's own URL parser is the judge (it refuses e.g. octal IPv4 like 0177.0.0.1)."""
    try:
        httpx.URL(origin)
    except (httpx.InvalidURL, ValueError):
        raise EndpointError(f"The endpoint URL's host or port is not valid ({_EXAMPLE}).") from None


def _normalise_path(path: str) -> str:
    path = path.rstrip("/")
    lowered = path.lower()
    for suffix in _OPERATION_SUFFIXES:
        if lowered.endswith(suffix):
            path = path[: -len(suffix)].rstrip("/")
            lowered = path.lower()
            break
    while lowered.endswith("/v1/v1"):
        path, lowered = path[:-3], lowered[:-3]
    if lowered.endswith("/v1"):
        path = path[:-3] + "/v1"  # AtlasCloud's routes are lower case; /V1 would miss the free balance check
    return path or "/v1"


def connection_from_credentials(credentials: Mapping[str, object]) -> Connection:
    """Read `api_key` and `endpoint_url` without modifying the caller's mapping."""
    api_key = str(credentials.get("api_key") or "").strip()
    if not api_key:
        raise EndpointError("The AtlasCloud API key is empty; paste the key from the AtlasCloud console.")
    if any(character.isspace() or not character.isprintable() for character in api_key):
        raise EndpointError("The AtlasCloud API key contains spaces or control characters; paste it again.")
    return Connection(base_url=normalise_endpoint(str(credentials.get("endpoint_url") or "")), api_key=api_key)


def open_client(connection: Connection) -> Client:
    """The shared client; cached so repeated requests reuse pooled HTTPS connections.
    Retries are bounded by each invocation's time budget (provider/deadline.py)."""
    return _cached_client(connection)


@lru_cache(maxsize=32)
def _cached_client(connection: Connection) -> Client:
    from provider.client import Client

    return Client(connection.base_url, request_headers(connection))


def request_headers(connection: Connection) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {connection.api_key}",
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
        "X-Atlas-Client": "dify",
    }
