"""Dify model parameters -> the keyword arguments of `client.chat.completions.create`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from provider.errors.tree import UserInputError

# Parameters AtlasCloud takes under their OpenAI names.
_PASSTHROUGH = ("temperature", "top_p", "max_tokens", "presence_penalty", "frequency_penalty", "seed")
# Families whose thinking mode refuses a tool loop in which an assistant tool-call turn lacks
# `reasoning_content` (Kimi: dify-official-plugins#2523; DeepSeek: #2306 "Missing reasoning_content field").
_REPLAY_FAMILIES = ("kimi", "moonshot", "deepseek")


def thinking_on(parameters: Mapping[str, Any]) -> bool:
    """Whether the request leaves a reasoning model's thinking switched on."""
    return parameters.get("thinking") is not False and parameters.get("reasoning_effort") != "none"


def demands_reasoning_replay(model: str, parameters: Mapping[str, Any]) -> bool:
    """True when every assistant tool-call turn must carry `reasoning_content` (empty if need be)."""
    lowered = model.lower()
    return thinking_on(parameters) and any(family in lowered for family in _REPLAY_FAMILIES)


def response_format(parameters: Mapping[str, Any]) -> dict[str, Any] | None:
    """OpenAI `response_format` from Dify's `response_format` / `json_schema` parameters.

    Dify sends the schema as a JSON string, either the bare schema or `{name, schema}`.
    """
    kind = parameters.get("response_format")
    raw_schema = parameters.get("json_schema")
    if kind == "json_object":
        return {"type": "json_object"}
    if kind not in (None, "", "json_schema") or (kind is None and not raw_schema):
        return None
    if not raw_schema:
        raise UserInputError("Response format 'json_schema' needs a JSON schema; add one or pick 'text'.")
    try:
        schema = json.loads(raw_schema) if isinstance(raw_schema, str) else dict(raw_schema)
    except (ValueError, TypeError) as error:
        raise UserInputError(f"The JSON schema is not valid JSON: {error}") from error
    if not isinstance(schema, dict):
        raise UserInputError("The JSON schema must be a JSON object.")
    if isinstance(schema.get("schema"), dict):
        wrapped = {"name": schema.get("name") or "response", "schema": schema["schema"]}
        if "strict" in schema:
            wrapped["strict"] = bool(schema["strict"])
    else:
        wrapped = {"name": "response", "schema": schema}
    return {"type": "json_schema", "json_schema": wrapped}


def reasoning_body(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """AtlasCloud's normalised reasoning switches (sent in the JSON body)."""
    body: dict[str, Any] = {}
    if parameters.get("thinking") is not None:
        body["thinking"] = {"type": "enabled" if parameters["thinking"] else "disabled"}
    if parameters.get("reasoning_effort"):
        body["reasoning_effort"] = parameters["reasoning_effort"]
    return body


def build_chat_request(
    *,
    model: str,
    messages: list[dict[str, Any]],
    parameters: Mapping[str, Any],
    tools: list[dict[str, Any]],
    stop: list[str] | None,
    stream: bool,
) -> dict[str, Any]:
    request: dict[str, Any] = {"model": model, "messages": messages, "stream": stream}
    request.update({name: parameters[name] for name in _PASSTHROUGH if parameters.get(name) is not None})
    if stream:
        request["stream_options"] = {"include_usage": True}
    if tools:
        request["tools"] = tools
        request["tool_choice"] = "auto"
    if stop:
        request["stop"] = stop
    fmt = response_format(parameters)
    if fmt:
        request["response_format"] = fmt
    request.update(reasoning_body(parameters))
    return request
