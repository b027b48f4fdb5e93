"""The parameter schema AtlasCloud publishes for each media model, checked before a billed submit.

`GET {media base}/models` answers without a key and lists every model; an entry's `schema` is
the URL of an OpenAPI document whose `components.schemas.Input` describes the model's
parameters. AtlasCloud's own MCP server validates a job against it before submitting, because a
submitted job is billed even when it fails (src/utils/schema-validator.ts, src/services/
generation.ts); the plugin applies the same rules: required, unknown, type, enum, range, length.
When the list or a schema cannot be had (a gateway without the route, a network error, an
unreadable document) the check is skipped, as MCP does: never guessed. Both are public
documents, fetched without the API key and kept for five minutes per endpoint.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from provider.client import Client
from provider.deadline import Deadline
from provider.errors.tree import NotServed, ParameterError, ReplyError, StatusError

logger = logging.getLogger(__name__)

CACHE_S = 300.0
# A failed fetch is tried again sooner, so a passing network error does not disable the check long.
RETRY_AFTER_FAILURE_S = 30.0
FETCH_BUDGET_S = 15.0
_JSON_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "object": dict,
}

_lock = threading.Lock()
_cache: dict[str, tuple[float, Any]] = {}


@dataclass(frozen=True)
class ListedModel:
    id: str
    kind: str  # AtlasCloud's `type`: Audio, Image, Video, ...
    schema_url: str | None


def _cached_json(client: Client, url: str, deadline: Deadline) -> Any:
    """A public JSON document, from the cache while it is fresh; None when it cannot be had."""
    now = time.monotonic()
    with _lock:
        hit = _cache.get(url)
    if hit is not None and hit[0] > now:
        return hit[1]
    timeout = httpx.Timeout(min(FETCH_BUDGET_S, max(deadline.remaining(), 0.001)))
    try:
        document = client.call(url, None, timeout, method="GET")
        keep = CACHE_S
    except (StatusError, ReplyError, httpx.HTTPError) as error:
        logger.info("media schema check skipped: %s answered %s", url.split("?")[0], type(error).__name__)
        document, keep = None, RETRY_AFTER_FAILURE_S
    with _lock:
        _cache[url] = (now + keep, document)
    return document


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def listed_models(client: Client, media_base: str, deadline: Deadline) -> dict[str, ListedModel] | None:
    """Every model the endpoint lists, by id; None when it has no list."""
    document = _cached_json(client, f"{media_base}/models", deadline)
    entries = document.get("data") if isinstance(document, Mapping) else None
    if not isinstance(entries, list):
        return None
    found = {}
    for entry in entries:
        if isinstance(entry, Mapping) and isinstance(entry.get("model"), str):
            schema = entry.get("schema")
            url = schema if isinstance(schema, str) and schema.startswith(("https://", "http://")) else None
            found[entry["model"]] = ListedModel(entry["model"], str(entry.get("type") or ""), url)
    return found


def input_schema(document: Any) -> Mapping[str, Any] | None:
    """`components.schemas.Input` (a local $ref followed), else the JSON request body of a path."""
    if not isinstance(document, Mapping):
        return None
    schemas = (document.get("components") or {}).get("schemas") or {}
    candidate = schemas.get("Input") if isinstance(schemas, Mapping) else None
    if candidate is None:
        for methods in (document.get("paths") or {}).values():
            for operation in (methods or {}).values() if isinstance(methods, Mapping) else ():
                body = ((operation or {}).get("requestBody") or {}).get("content") or {}
                candidate = (body.get("application/json") or {}).get("schema")
                if candidate:
                    break
            if candidate:
                break
    if isinstance(candidate, Mapping) and isinstance(candidate.get("$ref"), str):
        name = candidate["$ref"].rsplit("/", 1)[-1]
        candidate = schemas.get(name) if isinstance(schemas, Mapping) else None
    if isinstance(candidate, Mapping) and isinstance(candidate.get("properties"), Mapping):
        return candidate
    return None


def problems(schema: Mapping[str, Any], params: Mapping[str, Any]) -> list[str]:
    """What the schema refuses in `params` (the job's body without `model`), in MCP's order."""
    properties: Mapping[str, Any] = schema.get("properties") or {}
    found = [
        f"the required parameter '{key}' is missing"
        for key in schema.get("required") or []
        if key != "model" and params.get(key) is None
    ]
    for key, value in params.items():
        if key == "model" or value is None:
            continue
        rule = properties.get(key)
        if not isinstance(rule, Mapping):
            found.append(f"the model accepts no parameter '{key}'")
            continue
        found += _value_problems(key, value, rule)
    return found


def _value_problems(key: str, value: Any, rule: Mapping[str, Any]) -> list[str]:
    kind = rule.get("type")
    expected = _JSON_TYPES.get(kind) if isinstance(kind, str) else None
    if expected and (not isinstance(value, expected) or (isinstance(value, bool) and kind != "boolean")):
        return [f"'{key}' must be of type {kind}"]
    found = []
    choices = rule.get("enum")
    if isinstance(choices, list) and value not in choices:
        shown = ", ".join(str(c) for c in choices[:12]) + (", ..." if len(choices) > 12 else "")
        found.append(f"'{key}' must be one of {shown} (got {str(value)[:40]!r})")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(rule.get("minimum"), int | float) and value < rule["minimum"]:
            found.append(f"'{key}' must be at least {rule['minimum']}")
        if isinstance(rule.get("maximum"), int | float) and value > rule["maximum"]:
            found.append(f"'{key}' must be at most {rule['maximum']}")
    if isinstance(value, str):
        if isinstance(rule.get("maxLength"), int) and len(value) > rule["maxLength"]:
            found.append(f"'{key}' may have at most {rule['maxLength']} characters (has {len(value)})")
        if isinstance(rule.get("minLength"), int) and len(value) < rule["minLength"]:
            found.append(f"'{key}' needs at least {rule['minLength']} characters")
    return found


def model_schema(client: Client, media_base: str, model: str, deadline: Deadline) -> Mapping[str, Any] | None:
    """The model's Input schema; NotServed when the endpoint lists models but not this one."""
    listed = listed_models(client, media_base, deadline)
    if listed is None:
        return None
    entry = listed.get(model)
    if entry is None:
        raise NotServed(
            f"AtlasCloud does not list the model '{model}'; check the model id (full and case-sensitive, "
            "e.g. 'bytedance/seed-asr-2.0'). Nothing was submitted."
        )
    return input_schema(_cached_json(client, entry.schema_url, deadline)) if entry.schema_url else None


def check_job(client: Client, media_base: str, model: str, params: Mapping[str, Any], deadline: Deadline) -> None:
    """Refuse, before anything is billed, a job the model's published schema refuses."""
    schema = model_schema(client, media_base, model, deadline)
    found = problems(schema, params) if schema is not None else []
    if found:
        raise ParameterError(
            f"The model '{model}' would refuse this job: {'; '.join(found[:5])}. Nothing was submitted; "
            "check the model's settings."
        )


def parameter_choices(client: Client, media_base: str, model: str, name: str, deadline: Deadline) -> list[str]:
    """The values the model's schema allows for one parameter (a voice list, say); empty when
    the schema names none or cannot be had."""
    try:
        schema = model_schema(client, media_base, model, deadline)
    except NotServed:
        return []
    rule = ((schema or {}).get("properties") or {}).get(name)
    choices = rule.get("enum") if isinstance(rule, Mapping) else None
    return [str(choice) for choice in choices if isinstance(choice, str | int)] if isinstance(choices, list) else []
