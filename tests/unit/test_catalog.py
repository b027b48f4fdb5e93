"""Every shipped model YAML is valid for the SDK and is exactly what the curated catalog builds.

Nothing here reads outside the project (the research notes beside a CI checkout are not needed).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from dify_plugin.entities.model import AIModelEntity

from tools.build_catalog import CURATED, render, stale_files
from tools.catalog.curated import load_catalog

ROOT = Path(__file__).resolve().parents[2]
LLM_DIR = ROOT / "models" / "llm"
CATALOG = load_catalog(ROOT / CURATED)
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


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: p.stem)
def test_model_yaml_matches_its_curated_entry(path: Path):
    document = load(path)
    entry = CATALOG.by_id()[document["model"]]
    assert document["model_properties"]["context_size"] == entry.context_size
    rules = {rule["name"]: rule for rule in document["parameter_rules"]}
    assert rules["max_tokens"]["max"] == entry.max_output
    assert Decimal(document["pricing"]["input"]) == Decimal(entry.input_price)
    assert Decimal(document["pricing"]["output"]) == Decimal(entry.output_price)
    assert ("vision" in document["features"]) == entry.vision
    assert ("agent-thought" in document["features"]) == ("reasoning" in entry.features)
    assert ("tool-call" in document["features"]) == ("tools" in entry.features)
    assert ("thinking" in rules) == entry.thinking_switch
    assert ("reasoning_effort" in rules) == entry.reasoning_effort
    assert (document.get("atlascloud") or {}).get("image_tokens") == entry.image_tokens


def test_shipped_yamls_are_exactly_what_the_curated_file_builds():
    assert stale_files(ROOT, render(CATALOG)) == [], "run: python tools/build_catalog.py"


def test_the_catalog_builds_from_the_project_alone(tmp_path: Path):
    """A bare copy of the builder, the curated file and the shared label texts (no ../shared, no model
    code or YAMLs) rebuilds every YAML."""
    for relative in ("tools/__init__.py", "tools/build_catalog.py", "tools/catalog/__init__.py",
                     "tools/catalog/curated.py", "tools/catalog/curated.yaml",
                     "models/__init__.py", "models/common/labels.py"):  # fmt: skip
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / relative, tmp_path / relative)
    for folder in ("llm", "rerank"):
        (tmp_path / "models" / folder).mkdir(parents=True)
    result = subprocess.run(
        [sys.executable, "tools/build_catalog.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    for folder in ("llm", "rerank"):
        built = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "models" / folder).glob("*.yaml")}
        shipped = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "models" / folder).glob("*.yaml")}
        assert built == shipped


def test_provider_names_position_files_the_way_the_daemon_reads_them():
    """dify-plugin-daemon reads model order only from `models.<type>.position` (a path from the plugin
    root to a YAML list; pkg/entities/plugin_entities/model_declaration.go, UnmarshalYAML) and
    skips `_position.yaml` when it globs `predefined` (pkg/plugin_packager/decoder/helper.go)."""
    models = load(ROOT / "provider" / "atlascloud.yaml")["models"]
    for model_type, folder in (("llm", "llm"), ("rerank", "rerank")):
        assert models[model_type]["position"] == f"models/{folder}/_position.yaml"
        order = load(ROOT / models[model_type]["position"])
        assert isinstance(order, list) and all(isinstance(name, str) for name in order)
        declared = [
            load(p)["model"]
            for pattern in models[model_type]["predefined"]
            for p in sorted(ROOT.glob(pattern))
            if not p.name.endswith("_position.yaml")
        ]
        assert sorted(order) == sorted(declared)
    assert load(ROOT / models["llm"]["position"]) == [m.id for m in CATALOG.models]


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
