"""Regenerate models/llm/*.yaml, models/rerank/*.yaml and their _position.yaml files.

Usage: python tools/build_catalog.py [--root DIR] [--check]

Everything comes from tools/catalog/curated.yaml inside the project (numbers synced from
AtlasCloud's /v1/models by tools/sync_catalog.py, the rest curated with evidence), so any
clone can regenerate the catalog. --check writes nothing and exits 1 when a YAML is stale.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from models.common.labels import parameter_help, parameter_label, same_in_every_language  # noqa: E402
from tools.catalog.curated import Catalog, CatalogError, CuratedModel, load_catalog  # noqa: E402

CURATED = Path("tools/catalog/curated.yaml")
LLM_DIR = Path("models/llm")
RERANK_DIR = Path("models/rerank")


def file_name(model_id: str) -> str:
    return model_id.replace("/", "__") + ".yaml"


def _texts(name: str) -> dict[str, dict[str, str]]:
    """A rule's own label and help in every language; they replace the SDK template's (en/zh only)."""
    return {"label": parameter_label(name), "help": parameter_help(name)}


def _pricing(model: CuratedModel) -> dict[str, str]:
    return {"input": model.input_price, "output": model.output_price, "unit": "0.000001", "currency": "USD"}


def _template_rule(name: str, **fields: object) -> dict:
    return {"name": name, "use_template": name, **_texts(name), **fields}


def _rules(model: CuratedModel, max_tokens_default: int) -> list[dict]:
    rules: list[dict] = [
        _template_rule("temperature"),
        _template_rule("top_p"),
        _template_rule("max_tokens", default=min(max_tokens_default, model.max_output), min=1, max=model.max_output),
        _template_rule("presence_penalty"),
        _template_rule("frequency_penalty"),
    ]
    if "structured_outputs" in model.features:
        rules.append(_template_rule("response_format", type="string", options=["text", "json_object", "json_schema"]))
        rules.append(_template_rule("json_schema"))
    if model.thinking_switch:
        rules.append({"name": "thinking", **_texts("thinking"), "type": "boolean", "required": False, "default": True})
    if model.reasoning_effort:
        rules.append(
            {
                "name": "reasoning_effort",
                **_texts("reasoning_effort"),
                "type": "string",
                "required": False,
                "options": ["none", "low", "medium", "high"],
            }
        )
    return rules


def model_yaml(model: CuratedModel, max_tokens_default: int) -> dict:
    features = ["multi-tool-call", "tool-call", "stream-tool-call"] if "tools" in model.features else []
    if "reasoning" in model.features:
        features.append("agent-thought")
    if model.vision:
        features.append("vision")
    if "structured_outputs" in model.features:
        features.append("structured-output")
    features.append("document")  # the plugin reads documents for every model (models/vision_utils/document/)
    document: dict = {
        "model": model.id,
        "label": same_in_every_language(model.name),
        "model_type": "llm",
        "features": features,
        "model_properties": {"mode": "chat", "context_size": model.context_size},
        "parameter_rules": _rules(model, max_tokens_default),
        "pricing": _pricing(model),
    }
    # The plugin's own facts, which Dify's schema has no field for (models/llm/facts.py reads them).
    plugin: dict = {"reasoning_format": model.reasoning_format}
    if model.cached_input_price is not None:
        plugin["cached_input_price"] = model.cached_input_price
    if model.image_tokens:
        plugin["image_tokens"] = model.image_tokens
    document["atlascloud"] = plugin
    return document


def ranker_yaml(model: CuratedModel, disable_thinking: bool) -> dict:
    structured = "structured_outputs" in model.features
    document: dict = {
        "model": model.id,
        "label": {
            "en_US": f"{model.name} (LLM ranker)",
            "zh_Hans": f"{model.name}（LLM 重排序）",
            "ja_JP": f"{model.name}（LLM リランカー）",
        },
        "model_type": "rerank",
        "model_properties": {"context_size": model.context_size},
        "pricing": _pricing(model),
        "atlascloud": {"ranker": {"structured_output": structured, "disable_thinking": disable_thinking}},
    }
    if model.vision:
        document["features"] = ["vision"]
    return document


def _dump(document: object) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def render(catalog: Catalog) -> dict[Path, str]:
    """Every generated file (path relative to the project root) and its exact text."""
    files = {LLM_DIR / file_name(m.id): _dump(model_yaml(m, catalog.max_tokens_default)) for m in catalog.models}
    files[LLM_DIR / "_position.yaml"] = _dump([m.id for m in catalog.models])
    models = catalog.by_id()
    for ranker in catalog.rankers:
        files[RERANK_DIR / file_name(ranker.id)] = _dump(ranker_yaml(models[ranker.id], ranker.disable_thinking))
    files[RERANK_DIR / "_position.yaml"] = _dump([r.id for r in catalog.rankers])
    return files


def stale_files(root: Path, files: dict[Path, str]) -> list[Path]:
    """Generated files that are missing, different, or left over from a removed model."""
    present = {p.relative_to(root) for folder in (LLM_DIR, RERANK_DIR) for p in (root / folder).glob("*.yaml")}
    changed = [
        path
        for path, text in files.items()
        if not (root / path).is_file() or (root / path).read_text(encoding="utf-8") != text
    ]
    return sorted(changed + sorted(present - set(files)))


def write(root: Path, files: dict[Path, str]) -> list[Path]:
    """Bring the YAMLs on disk to `files`; returns what changed."""
    stale = stale_files(root, files)
    for path in stale:
        target = root / path
        if path in files:
            target.write_text(files[path], encoding="utf-8")
        else:
            target.unlink()
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="project root (default: this checkout)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a YAML is stale")
    args = parser.parse_args(argv)
    try:
        files = render(load_catalog(args.root / CURATED))
    except CatalogError as error:
        print(f"build_catalog: {error}", file=sys.stderr)
        return 2
    if args.check:
        stale = stale_files(args.root, files)
        for path in stale:
            print(f"stale: {path.as_posix()}")
        return 1 if stale else 0
    changed = write(args.root, files)
    print(f"{len(files) - 2} model YAMLs from {CURATED.as_posix()}: {len(changed)} file(s) changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
