"""AtlasCloud's public model list (`GET /v1/models`), read for user-added models, cached per endpoint.

AtlasCloud answers without a key, in its envelope `{code, msg, data: [...]}`; each entry may carry
context_length, max_output_length, input_modalities, supported_features, is_ready (absent means
ready) and pricing {prompt, completion, input_cache_read} in USD per token as decimal strings
(atlascloud-api.md section 2.4). OpenAI's plain `{object: "list", data: [...]}` is read too: a
gateway's list usually holds ids only, and then every field is None and the form's values stand.

Dify asks for a user-added model's schema on every invoke (the SDK's price lookup alone asks
twice), so the list is fetched at most once per LIST_TTL_S per endpoint, with a short timeout and
a size cap. Only an endpoint never fetched before is waited for (once, bounded by FETCH_BUDGET_S,
before any request is sent); a stale list is used while a background refresh runs, and a failed
fetch is logged and retried after RETRY_AFTER_S, never raised: the schema then uses the form.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

import httpx

from provider.connection import Connection, open_client
from provider.errors.redact import redact
from provider.errors.tree import ReplyError, StatusError

logger = logging.getLogger(__name__)

LIST_TTL_S = 600.0  # AtlasCloud's own tools sync the catalog daily; ten minutes is fresh enough
RETRY_AFTER_S = 60.0
FETCH_BUDGET_S = 4.0  # the whole fetch, however slowly its body drips
FETCH_TIMEOUT = httpx.Timeout(3.0, connect=2.0)
MAX_LIST_BYTES = 8 * 1024 * 1024  # AtlasCloud's list of ~120 models is under 100 kB
PER_MILLION = Decimal(1_000_000)
REFRESH_THREAD = "atlascloud-model-list"


@dataclass(frozen=True)
class ListedModel:
    """One entry of the list; None where the entry gives no usable value."""

    id: str
    ready: bool = True
    context_size: int | None = None
    max_output: int | None = None
    vision: bool | None = None
    features: frozenset[str] | None = None
    input_price: Decimal | None = None  # USD per 1M tokens
    output_price: Decimal | None = None
    cached_input_price: Decimal | None = None


def per_million(per_token: Any) -> Decimal | None:
    """A per-token USD price (string or number) as an exact per-1M price: "0.00000026" -> 0.26."""
    try:
        value = Decimal(str(per_token).strip())  # None, True and False are not numbers either
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0:
        return None
    return (value * PER_MILLION).normalize()  # "0.26", not "0.26000000", in what Dify shows


def positive_count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
        return int(value)
    return None


def is_ready(entry: dict[str, Any]) -> bool:
    """AtlasCloud omits is_ready on most servable models; only an explicit false means "not ready"."""
    value = entry.get("is_ready")
    return value is not False and str(value).lower() != "false"


def _strings(value: Any) -> list[str] | None:
    return [str(item) for item in value] if isinstance(value, list) else None


def _entry(entry: dict[str, Any]) -> ListedModel:
    pricing = entry.get("pricing") if isinstance(entry.get("pricing"), dict) else {}
    modalities = _strings(entry.get("input_modalities"))
    features = _strings(entry.get("supported_features"))
    return ListedModel(
        id=str(entry["id"]),
        ready=is_ready(entry),
        context_size=positive_count(entry.get("context_length")),
        max_output=positive_count(entry.get("max_output_length")),
        vision=None if modalities is None else "image" in modalities,
        features=None if features is None else frozenset(features),
        input_price=per_million(pricing.get("prompt")),
        output_price=per_million(pricing.get("completion")),
        cached_input_price=per_million(pricing.get("input_cache_read")),
    )


def parse_model_list(body: bytes) -> dict[str, ListedModel]:
    """Entries by id; ReplyError for anything that is not a model list."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ReplyError("the model list is not JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        raise ReplyError("the model list has no `data` array")
    if str(document.get("code", 200)) != "200":
        raise ReplyError(f"the model list answered code {document.get('code')}")
    models: dict[str, ListedModel] = {}
    for entry in document["data"]:
        if isinstance(entry, dict) and isinstance(entry.get("id"), str) and entry["id"]:
            models.setdefault(entry["id"], _entry(entry))
    return models


def fetch_model_list(connection: Connection) -> dict[str, ListedModel]:
    """GET {endpoint}/models within FETCH_BUDGET_S and MAX_LIST_BYTES."""
    started = time.monotonic()
    response = open_client(connection).open("/models", None, FETCH_TIMEOUT, method="GET")
    try:
        body = bytearray()
        for part in response.iter_bytes():
            body += part
            if len(body) > MAX_LIST_BYTES:
                raise ReplyError(f"the model list is larger than {MAX_LIST_BYTES // (1024 * 1024)} MiB")
            if time.monotonic() - started > FETCH_BUDGET_S:
                raise ReplyError(f"the model list took longer than {FETCH_BUDGET_S:.0f} s to arrive")
    finally:
        response.close()
    return parse_model_list(bytes(body))


@dataclass
class _Entry:
    models: dict[str, ListedModel] | None  # None: no list has been read yet
    checked_at: float
    ok: bool  # the last fetch answered (a failed one is tried again sooner)


class ModelListCache:
    """The list per endpoint: fetched once per `ttl_s`, waited for only by an endpoint's first lookup."""

    def __init__(
        self,
        fetch: Callable[[Connection], dict[str, ListedModel]] = fetch_model_list,
        clock: Callable[[], float] = time.monotonic,
        ttl_s: float = LIST_TTL_S,
        retry_s: float = RETRY_AFTER_S,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._ttl_s = ttl_s
        self._retry_s = retry_s
        self._entries: dict[str, _Entry] = {}
        self._in_flight: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def lookup(self, connection: Connection, model: str) -> ListedModel | None:
        """The model's entry, or None (not listed, or no list to be had)."""
        models = self.models(connection)
        return models.get(model) if models else None

    def models(self, connection: Connection) -> dict[str, ListedModel] | None:
        endpoint = connection.base_url
        with self._lock:
            entry = self._entries.get(endpoint)
            running = self._in_flight.get(endpoint)
            if entry is not None:
                age = self._clock() - entry.checked_at
                if age >= (self._ttl_s if entry.ok else self._retry_s) and running is None:
                    self._start(endpoint)
                    threading.Thread(target=self._refresh, args=(connection,), name=REFRESH_THREAD, daemon=True).start()
                return entry.models
            if running is None:
                self._start(endpoint)
        if running is not None:  # another session is fetching this endpoint's first list: wait for it
            running.wait(FETCH_BUDGET_S + 1)
            with self._lock:
                entry = self._entries.get(endpoint)
            return entry.models if entry is not None else None
        return self._refresh(connection)

    def _start(self, endpoint: str) -> None:
        self._in_flight[endpoint] = threading.Event()

    def _refresh(self, connection: Connection) -> dict[str, ListedModel] | None:
        endpoint = connection.base_url
        models: dict[str, ListedModel] | None = None
        ok = False
        try:
            models, ok = self._fetch(connection), True
        except StatusError as error:
            # An endpoint without the route (a gateway) answers the same every time: asked again
            # only after the full interval.
            ok = error.status in (401, 403, 404, 405)
            self._log_failure(connection, f"HTTP {error.status}", self._ttl_s if ok else self._retry_s)
        except Exception as error:  # never fatal: the form's values are used
            reason = redact(f"{type(error).__name__}: {error}", (connection.api_key,))
            self._log_failure(connection, reason, self._retry_s)
        with self._lock:
            previous = self._entries.get(endpoint)
            if models is None and previous is not None:
                models = previous.models  # a failed refresh keeps the last good list
            self._entries[endpoint] = _Entry(models, self._clock(), ok)
            done = self._in_flight.pop(endpoint)  # every refresh is started by _start
        done.set()
        return models

    @staticmethod
    def _log_failure(connection: Connection, reason: str, retry_s: float) -> None:
        logger.warning(
            "the model list of %s could not be read (%s); user-added models use their form's values "
            "until it can be (next try in %.0f s)",
            connection.label,
            reason,
            retry_s,
        )


@cache
def model_list_cache() -> ModelListCache:
    """The process's one cache (made at first use, never at import)."""
    return ModelListCache()
