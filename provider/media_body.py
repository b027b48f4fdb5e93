"""A media job's body from the model's template: `{name}` placeholders filled with values.

Each model's parameters are its own (text or prompt, voice or voice_id or references[].speaker,
audio or audio_url): the model YAML (or the user-added model's form) gives the body as a
template, and only leaves that are exactly "{name}" are replaced, by the value as it is (no
string formatting of user text). A key whose value holds a placeholder with no value (no voice
chosen, say) is left out, so the model's own default applies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"^\{([a-z_]+)\}$")


class _Missing(Exception):
    pass


def _fill(node: Any, values: Mapping[str, Any]) -> Any:
    if isinstance(node, str):
        match = _PLACEHOLDER.match(node)
        if not match:
            return node
        value = values.get(match.group(1))
        if value is None or value == "":
            raise _Missing
        return value
    if isinstance(node, Mapping):
        return {key: _fill(child, values) for key, child in node.items()}
    if isinstance(node, list):
        return [_fill(child, values) for child in node]
    return node


def render(template: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The body without `model`; keys whose placeholders have no value are left out."""
    body: dict[str, Any] = {}
    for key, node in template.items():
        try:
            body[key] = _fill(node, values)
        except _Missing:
            continue
    return body


def placeholders(template: Mapping[str, Any]) -> set[str]:
    """Every placeholder name in the template."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, str) and (match := _PLACEHOLDER.match(node)):
            found.add(match.group(1))
        elif isinstance(node, Mapping):
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(template)
    return found
