"""The predefined model YAMLs shipped in this folder, and the plugin-only settings they carry.

Dify reads the standard schema; the `atlascloud:` block (image limits and token rule) is ours
and ignored by the SDK.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LLM_DIR = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def _documents() -> dict[str, dict[str, Any]]:
    documents = {}
    for path in LLM_DIR.glob("*.yaml"):
        if path.name.endswith("_position.yaml"):
            continue
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        documents[document["model"]] = document
    return documents


def predefined_model_ids() -> list[str]:
    """Model ids in the order Dify lists them."""
    return yaml.safe_load((LLM_DIR / "_position.yaml").read_text(encoding="utf-8"))


def plugin_settings(model: str) -> dict[str, Any]:
    """The `atlascloud:` block of a predefined model; empty for user-added models."""
    return _documents().get(model, {}).get("atlascloud") or {}
