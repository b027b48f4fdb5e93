"""Every shipped model YAML is valid for the SDK and agrees with the research catalog."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from dify_plugin.entities.model import AIModelEntity

ROOT = Path(__file__).resolve().parents[2]
LLM_DIR = ROOT / "models" / "llm"
REFERENCE = ROOT.parent / "shared" / "reference" / "atlascloud-models-2026-10.yaml"
MODEL_FILES = sorted(p for p in LLM_DIR.glob("*.yaml") if not p.name.endswith("_position.yaml"))


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_position_lists_every_model_once():
    position = load(LLM_DIR / "_position.yaml")
    assert len(position) == len(set(position))
    assert sorted(position) == sorted(load(p)["model"] for p in MODEL_FILES)


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: p.stem)
def test_model_yaml_is_valid_and_consistent(path: Path):
    document = load(path)
    entity = AIModelEntity.model_validate(document)
    assert path.name == document["model"].replace("/", "__") + ".yaml"
    assert {"en_US", "zh_Hans", "ja_JP"} <= set(document["label"])
    features = set(document["features"])
    rules = {rule["name"]: rule for rule in document["parameter_rules"]}
    assert {"temperature", "top_p", "max_tokens"} <= set(rules)
    assert 0 < rules["max_tokens"]["default"] <= rules["max_tokens"]["max"]
    assert entity.pricing and entity.pricing.input > 0 and entity.pricing.output > 0
    assert entity.pricing.currency == "USD" and str(entity.pricing.unit) == "0.000001"
    assert ("structured-output" in features) == ("json_schema" in rules) == ("response_format" in rules)
    if "response_format" in rules:
        assert rules["response_format"]["options"] == ["text", "json_object", "json_schema"]
    if "thinking" in rules or "reasoning_effort" in rules:
        assert "agent-thought" in features, "reasoning controls only on reasoning models"
    if "tool-call" in features:
        assert {"multi-tool-call", "stream-tool-call"} <= features
    assert ("vision" in features) == ("image_tokens" in (document.get("atlascloud") or {}))


@pytest.mark.skipif(not REFERENCE.exists(), reason="shared reference catalog not beside the checkout")
@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: p.stem)
def test_model_yaml_matches_a_high_confidence_catalog_entry(path: Path):
    document = load(path)
    entry = {m["id"]: m for m in load(REFERENCE)["models"]}[document["model"]]
    assert entry["confidence"] == "high"
    assert document["model_properties"]["context_size"] == entry["context_size"]
    rules = {rule["name"]: rule for rule in document["parameter_rules"]}
    assert rules["max_tokens"]["max"] == entry["max_output"]
    assert float(document["pricing"]["input"]) == entry["pricing"]["input"]
    assert float(document["pricing"]["output"]) == entry["pricing"]["output"]
    assert ("vision" in document["features"]) == ("vision" in entry["features"])
    assert ("agent-thought" in document["features"]) == ("reasoning" in entry["features"])


def test_versions_agree():
    manifest = load(ROOT / "manifest.yaml")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    connection = (ROOT / "provider" / "connection.py").read_text()
    assert manifest["version"] == project["version"]
    assert re.search(rf'PLUGIN_VERSION = "{re.escape(manifest["version"])}"', connection)


def test_provider_declares_what_the_plugin_implements():
    provider = load(ROOT / "provider" / "atlascloud.yaml")
    sources = provider["extra"]["python"]["model_sources"]
    for model_type in provider["supported_model_types"]:
        folder = model_type.replace("-", "_")
        assert any(source.startswith(f"models/{folder}/") for source in sources), model_type
    names = [field["variable"] for field in provider["provider_credential_schema"]["credential_form_schemas"]]
    assert names == ["api_key", "endpoint_url"]
