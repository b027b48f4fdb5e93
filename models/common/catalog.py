"""The predefined model YAMLs shipped with the plugin, and the plugin-only settings they carry.

Dify reads the standard schema; the `atlascloud:` block (image limits, token rule, ranker
options) is ours and ignored by the SDK.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

MODELS_DIR = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=8)
def _documents(model_type_dir: str) -> dict[str, dict[str, Any]]:
    documents = {}
    for path in (MODELS_DIR / model_type_dir).glob("*.yaml"):
        if path.name.endswith("_position.yaml"):
            continue
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        documents[document["model"]] = document
    return documents


def predefined_model_ids(model_type_dir: str = "llm") -> list[str]:
    """Model ids in the order Dify lists them."""
    return yaml.safe_load((MODELS_DIR / model_type_dir / "_position.yaml").read_text(encoding="utf-8"))


def plugin_settings(model: str, model_type_dir: str = "llm") -> dict[str, Any]:
    """The `atlascloud:` block of a predefined model; empty for user-added models."""
    return _documents(model_type_dir).get(model, {}).get("atlascloud") or {}
