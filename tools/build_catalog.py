"""Regenerate models/llm/*.yaml and _position.yaml from the research catalog.

Usage: python tools/build_catalog.py [path/to/atlascloud-models.yaml]

Numbers (context, max output, prices, features) come from the catalog; what the catalog
cannot say (display names, which reasoning switch a model honours, its image-token rule)
is curated in CHOSEN below, with the evidence in each comment.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CATALOG = ROOT.parent / "shared" / "reference" / "atlascloud-models-2026-10.yaml"
LLM_DIR = ROOT / "models" / "llm"

# Qwen3-VL family: 16 px patches merged 2x2, so one token per 32x32 px block.
QWEN_VL_IMAGE = {"rule": "patches", "patch_px": 32, "min_tokens": 4, "max_tokens": 16384}
# Kimi (MoonViT): 14 px patches merged 2x2 -> one token per 28x28 px block.
KIMI_IMAGE = {"rule": "patches", "patch_px": 28, "min_tokens": 4, "max_tokens": 16384}

# id -> (display name, thinking switch honoured, reasoning_effort honoured, image rule)
# Every entry has `confidence: high` in the catalog.
CHOSEN: dict[str, tuple[str, bool, bool, dict | None]] = {
    # thinking.type and reasoning_effort both accepted (models.dev 2026-10-06)
    "deepseek-ai/deepseek-v3.2": ("DeepSeek V3.2", True, True, None),
    # reasons always; no control stops it (30/30 runs, 2026-10-10)
    "deepseek-ai/deepseek-v4-flash": ("DeepSeek V4 Flash", False, False, None),
    # no caller reasoning control listed
    "deepseek-ai/deepseek-v4-pro": ("DeepSeek V4 Pro", False, False, None),
    "zai-org/glm-5.3": ("GLM-5.3", True, False, None),
    "zai-org/glm-5.1": ("GLM-5.1", True, False, None),
    "moonshotai/kimi-k2.6": ("Kimi K2.6", True, False, KIMI_IMAGE),
    # thinking toggles are rejected or ignored on MiniMax; reasoning_effort works
    "minimaxai/minimax-m2.7": ("MiniMax M2.7", False, True, None),
    # reasoning_effort other than "none" -> 400, so only the thinking switch is offered
    "qwen/qwen3.5-397b-a17b": ("Qwen3.5 397B A17B", True, False, QWEN_VL_IMAGE),
    "qwen/qwen3.5-27b": ("Qwen3.5 27B", True, False, QWEN_VL_IMAGE),
    "Qwen/Qwen3-235B-A22B-Instruct-2507": ("Qwen3 235B A22B Instruct 2507", False, False, None),
}

# LLM rankers for rerank: id -> thinking must be switched off (fast, cheap, deterministic).
# The Qwen3 instruct model does not reason; DeepSeek V3.2 and Qwen3.5 27B accept thinking.type.
# Qwen3.5 27B reads images, so it is the multimodal ranker.
RANKERS: dict[str, bool] = {
    "Qwen/Qwen3-235B-A22B-Instruct-2507": False,
    "deepseek-ai/deepseek-v3.2": True,
    "qwen/qwen3.5-27b": True,
}
RERANK_DIR = ROOT / "models" / "rerank"

# Enough headroom for reasoning before the answer; users raise it in the app.
DEFAULT_MAX_TOKENS = 8192


def file_name(model_id: str) -> str:
    return model_id.replace("/", "__") + ".yaml"


def _label(text: str) -> dict[str, str]:
    return {"en_US": text, "zh_Hans": text, "ja_JP": text}


def _rules(entry: dict, thinking: bool, effort: bool) -> list[dict]:
    max_output = int(entry["max_output"])
    rules: list[dict] = [
        {"name": "temperature", "use_template": "temperature"},
        {"name": "top_p", "use_template": "top_p"},
        {
            "name": "max_tokens",
            "use_template": "max_tokens",
            "default": min(DEFAULT_MAX_TOKENS, max_output),
            "min": 1,
            "max": max_output,
        },
        {"name": "presence_penalty", "use_template": "presence_penalty"},
        {"name": "frequency_penalty", "use_template": "frequency_penalty"},
    ]
    if "structured_outputs" in entry["features"]:
        rules.append(
            {
                "name": "response_format",
                "use_template": "response_format",
                "label": {**_label("Response format"), "zh_Hans": "回复格式", "ja_JP": "応答形式"},
                "type": "string",
                "options": ["text", "json_object", "json_schema"],
            }
        )
        rules.append({"name": "json_schema", "use_template": "json_schema"})
    if thinking:
        rules.append(
            {
                "name": "thinking",
                "label": {"en_US": "Thinking", "zh_Hans": "深度思考", "ja_JP": "思考モード"},
                "type": "boolean",
                "required": False,
                "default": True,
                "help": {
                    "en_US": "Switch the model's reasoning on or off (sent as thinking.type).",
                    "zh_Hans": "开启或关闭模型的推理（以 thinking.type 发送）。",
                    "ja_JP": "モデルの推論をオン／オフします（thinking.type として送信）。",
                },
            }
        )
    if effort:
        rules.append(
            {
                "name": "reasoning_effort",
                "label": {"en_US": "Reasoning effort", "zh_Hans": "推理强度", "ja_JP": "推論の強さ"},
                "type": "string",
                "required": False,
                "options": ["none", "low", "medium", "high"],
                "help": {
                    "en_US": "How much the model reasons before answering; 'none' switches reasoning off.",
                    "zh_Hans": "模型回答前推理的程度；none 表示关闭推理。",
                    "ja_JP": "回答前の推論量。none で推論をオフにします。",
                },
            }
        )
    return rules


def model_yaml(entry: dict, name: str, thinking: bool, effort: bool, image: dict | None) -> dict:
    source = set(entry["features"])
    features = ["multi-tool-call", "tool-call", "stream-tool-call"] if "tool-call" in source else []
    if "reasoning" in source:
        features.append("agent-thought")
    if "vision" in source:
        features.append("vision")
    if "structured_outputs" in source:
        features.append("structured-output")
    document: dict = {
        "model": entry["id"],
        "label": _label(name),
        "model_type": "llm",
        "features": features,
        "model_properties": {"mode": "chat", "context_size": int(entry["context_size"])},
        "parameter_rules": _rules(entry, thinking, effort),
        "pricing": {
            "input": str(entry["pricing"]["input"]),
            "output": str(entry["pricing"]["output"]),
            "unit": "0.000001",
            "currency": "USD",
        },
    }
    if image:
        document["atlascloud"] = {"image_tokens": image}
    return document


def ranker_yaml(entry: dict, name: str, disable_thinking: bool) -> dict:
    document: dict = {
        "model": entry["id"],
        "label": {
            "en_US": f"{name} (LLM ranker)",
            "zh_Hans": f"{name}（LLM 重排序）",
            "ja_JP": f"{name}（LLM リランカー）",
        },
        "model_type": "rerank",
        "model_properties": {"context_size": int(entry["context_size"])},
        "pricing": {
            "input": str(entry["pricing"]["input"]),
            "output": str(entry["pricing"]["output"]),
            "unit": "0.000001",
            "currency": "USD",
        },
        "atlascloud": {"ranker": {"structured_output": True, "disable_thinking": disable_thinking}},
    }
    if "vision" in entry["features"]:
        document["features"] = ["vision"]
    return document


def main(catalog_path: Path) -> None:
    catalog = {m["id"]: m for m in yaml.safe_load(catalog_path.read_text())["models"]}
    for old in LLM_DIR.glob("*.yaml"):
        old.unlink()
    for model_id, (name, thinking, effort, image) in CHOSEN.items():
        entry = catalog[model_id]
        if entry.get("confidence") != "high":
            raise SystemExit(f"{model_id} is not a high-confidence catalog entry")
        text = yaml.safe_dump(model_yaml(entry, name, thinking, effort, image), sort_keys=False, allow_unicode=True)
        (LLM_DIR / file_name(model_id)).write_text(text)
    (LLM_DIR / "_position.yaml").write_text(yaml.safe_dump(list(CHOSEN), allow_unicode=True))
    for old in RERANK_DIR.glob("*.yaml"):
        old.unlink()
    for model_id, disable_thinking in RANKERS.items():
        document = ranker_yaml(catalog[model_id], CHOSEN[model_id][0], disable_thinking)
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
        (RERANK_DIR / file_name(model_id)).write_text(text)
    (RERANK_DIR / "_position.yaml").write_text(yaml.safe_dump(list(RANKERS), allow_unicode=True))
    print(f"wrote {len(CHOSEN)} LLM and {len(RANKERS)} rerank model YAMLs")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CATALOG)
