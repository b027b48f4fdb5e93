"""The models the simulator serves, as AtlasCloud lists them, independent of the plugin's files.

Ids, context, output limits, modalities and per-token prices of AtlasCloud's October 2026
`GET /v1/models` roster (NEUROLINK 2026-09-29, models.dev 2026-10-10; see
shared/reference/atlascloud-models-2026-10.yaml), plus a few test-only ids. Behaviour flags come
from the same research: which families demand reasoning replay in tool loops and which reject
`reasoning_effort`. The simulator never reads the plugin's YAMLs, so a wrong plugin YAML
cannot make the simulator agree with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SimModel:
    id: str
    context: int = 131072
    max_output: int = 65536
    prices: tuple[str, str] = ("0.0000003", "0.0000012")  # USD per token, as AtlasCloud lists them
    cached_price: str | None = None  # pricing.input_cache_read, USD per token
    reasoning: bool = False
    vision: bool = False
    tools: bool = True
    structured: bool = True
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
            "context_length": self.context,
            "max_output_length": self.max_output,
            "input_modalities": ["text", "image"] if self.vision else ["text"],
            "supported_features": features,
            "pricing": {"prompt": self.prices[0], "completion": self.prices[1]}
            | ({"input_cache_read": self.cached_price} if self.cached_price else {}),
            "is_ready": self.is_ready,
        }


_ROSTER = [
    SimModel("deepseek-ai/deepseek-v3.2", 163840, 163840, ("0.00000026", "0.00000038"), "0.00000013",
             reasoning=True, requires_reasoning_replay=True),
    SimModel("deepseek-ai/deepseek-v4-flash", 1048576, 393216, ("0.00000014", "0.00000028"), "0.000000028",
             reasoning=True, requires_reasoning_replay=True),
    SimModel("deepseek-ai/deepseek-v4-pro", 1048576, 393216, ("0.00000168", "0.00000338"), "0.00000013",
             reasoning=True, requires_reasoning_replay=True),
    SimModel("zai-org/glm-5.3", 1048576, 131072, ("0.0000014", "0.0000044"), "0.00000026", reasoning=True),
    SimModel("zai-org/glm-5.1", 202752, 202752, ("0.00000126", "0.00000396"), "0.000000234", reasoning=True),
    SimModel("moonshotai/kimi-k2.6", 262144, 262144, ("0.00000095", "0.000004"), "0.00000016", reasoning=True,
             vision=True, requires_reasoning_replay=True),
    SimModel("minimaxai/minimax-m2.7", 196608, 196608, ("0.0000003", "0.0000012"), "0.00000006", reasoning=True),
    SimModel("qwen/qwen3.5-397b-a17b", 262144, 65536, ("0.00000055", "0.0000035"), "0.00000055", reasoning=True,
             vision=True, rejects_reasoning_effort=True),
    SimModel("qwen/qwen3.5-27b", 262144, 65536, ("0.00000027", "0.00000216"), "0.00000027", reasoning=True,
             vision=True),
    SimModel("Qwen/Qwen3-235B-A22B-Instruct-2507", 131072, 131072, ("0.0000002", "0.00000088"), "0.0000002"),
    # Test-only ids.
    SimModel("sim/plain-chat", structured=False),
    SimModel("sim/vision-thinker", reasoning=True, vision=True),
    SimModel("openai/gpt-4o-mini", vision=True, is_ready=False),
]  # fmt: skip

SIM_MODELS = {model.id: model for model in _ROSTER}
