"""The models the simulator serves: the plugin's predefined ones plus a few test-only ids."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

LLM_DIR = Path(__file__).resolve().parents[2] / "models" / "llm"


@dataclass(frozen=True)
class SimModel:
    id: str
    reasoning: bool = False
    vision: bool = False
    tools: bool = True
    structured: bool = False
    # DeepSeek/Kimi-style: a tool loop must replay the assistant's reasoning_content.
    requires_reasoning_replay: bool = False
    # Qwen3.5-style: reasoning_effort other than "none" is rejected with 400.
    rejects_reasoning_effort: bool = False
    is_ready: bool = True

    def listing(self) -> dict[str, Any]:
        features = ["tools"] if self.tools else []
        if self.reasoning:
            features.append("reasoning")
        if self.structured:
            features += ["json_mode", "structured_outputs"]
        return {
            "id": self.id,
            "context_length": 131072,
            "max_output_length": 65536,
            "input_modalities": ["text", "image"] if self.vision else ["text"],
            "supported_features": features,
            "pricing": {"prompt": "0.0000003", "completion": "0.0000012"},
            "is_ready": self.is_ready,
        }


def _from_plugin_yaml(path: Path) -> SimModel:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    features = set(document.get("features") or [])
    model_id = document["model"]
    return SimModel(
        id=model_id,
        reasoning="agent-thought" in features,
        vision="vision" in features,
        tools="tool-call" in features,
        structured="structured-output" in features,
        requires_reasoning_replay=model_id.startswith(("moonshotai/", "deepseek-ai/")),
        rejects_reasoning_effort=model_id == "qwen/qwen3.5-397b-a17b",
    )


def _load() -> dict[str, SimModel]:
    models = {
        m.id: m
        for m in (_from_plugin_yaml(p) for p in sorted(LLM_DIR.glob("*.yaml")) if not p.name.endswith("_position.yaml"))
    }
    extra = [
        SimModel("sim/plain-chat", tools=True),
        SimModel("sim/vision-thinker", reasoning=True, vision=True, structured=True),
        SimModel("openai/gpt-4o-mini", vision=True, is_ready=False),
    ]
    models.update({m.id: m for m in extra})
    return models


SIM_MODELS = _load()
