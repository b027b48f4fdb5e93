"""AtlasCloud's live model list, GET {endpoint}/v1/models: fetch it and read its entries.

AtlasCloud answers without a key, in its own envelope `{code, msg, data: [...]}`; each entry
carries id, context_length, max_output_length, input_modalities, supported_features,
is_ready (often absent = ready), and pricing {prompt, completion, input_cache_read} in USD
per token as decimal strings (atlascloud-api.md section 2.4, NEUROLINK roster 2026-09-29).
OpenAI's plain `{object: "list", data: [...]}` is read too, for gateways.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from models.llm.model_list import is_ready, per_million, positive_count
from provider.errors.tree import EndpointError

DEFAULT_ENDPOINT = "https://api.atlascloud.ai"
# Cloudflare in front of AtlasCloud refuses clients without a User-Agent (error 1010, SAAS atlas.ts).
USER_AGENT_NAME = "atlascloud-dify-plugin-catalog-sync"
TIMEOUT_S = 30.0


class UpstreamError(RuntimeError):
    """The model list could not be fetched or read."""


@dataclass(frozen=True)
class ListedModel:
    """One /v1/models entry; None where the listing gives no usable value."""

    id: str
    ready: bool
    context_size: int | None
    max_output: int | None
    input_modalities: tuple[str, ...] | None
    features: frozenset[str] | None
    input_price: Decimal | None  # USD per 1M tokens, exact
    output_price: Decimal | None
    cached_input_price: Decimal | None = None  # pricing.input_cache_read

    @property
    def vision(self) -> bool | None:
        return None if self.input_modalities is None else "image" in self.input_modalities


def models_url(endpoint: str) -> str:
    """The list URL for an endpoint typed the way users type it (bare host, /v1, trailing slash)."""
    # Imported here: the plugin's normaliser pulls in openai (seconds), which --snapshot never needs.
    from provider.connection import normalise_endpoint

    try:
        return normalise_endpoint(endpoint) + "/models"
    except EndpointError as error:
        raise UpstreamError(str(error)) from None


def fetch(endpoint: str, timeout: float = TIMEOUT_S) -> bytes:
    """The raw body of GET /v1/models (no key: the list is public)."""
    from provider.connection import PLUGIN_VERSION

    url = models_url(endpoint)
    headers = {"User-Agent": f"{USER_AGENT_NAME}/{PLUGIN_VERSION}", "Accept": "application/json"}
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True, headers=headers) as client:
            response = client.get(url)
    except httpx.HTTPError as error:
        raise UpstreamError(f"GET {url} failed: {error.__class__.__name__}: {error}") from None
    if response.status_code != 200:
        raise UpstreamError(f"GET {url} answered HTTP {response.status_code}: {response.text[:200]}")
    return response.content


def _strings(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list):
        return None
    return tuple(str(item) for item in value)


def _entry(entry: dict[str, Any]) -> ListedModel:
    pricing = entry.get("pricing") if isinstance(entry.get("pricing"), dict) else {}
    features = _strings(entry.get("supported_features"))
    return ListedModel(
        id=str(entry["id"]),
        ready=is_ready(entry),
        context_size=positive_count(entry.get("context_length")),
        max_output=positive_count(entry.get("max_output_length")),
        input_modalities=_strings(entry.get("input_modalities")),
        features=None if features is None else frozenset(features),
        input_price=per_million(pricing.get("prompt")),
        output_price=per_million(pricing.get("completion")),
        cached_input_price=per_million(pricing.get("input_cache_read")),
    )


def parse_listing(body: bytes | str) -> dict[str, ListedModel]:
    """Entries by id, in listing order. Raises UpstreamError for anything that is not a model list."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise UpstreamError(f"the model list is not JSON: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        raise UpstreamError("the model list has no `data` array (expected {code, msg, data} or {object, data})")
    code = document.get("code", 200)
    if str(code) != "200":
        raise UpstreamError(f"AtlasCloud answered code {code}: {document.get('msg') or 'no message'}")
    models: dict[str, ListedModel] = {}
    for entry in document["data"]:
        if isinstance(entry, dict) and entry.get("id"):
            models.setdefault(str(entry["id"]), _entry(entry))
    return models
