"""The catalog's per-model facts of issue 19: the cached-input price (synced like the other prices)
and how reasoning arrives (curated), both written into the model YAMLs for the plugin to read."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from models.common.catalog import plugin_settings
from tools.build_catalog import CURATED, render
from tools.catalog.curated import CatalogError, load_catalog, parse_catalog
from tools.sync_catalog import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / CURATED).parent.mkdir(parents=True)
    shutil.copy(ROOT / CURATED, tmp_path / CURATED)
    for folder in ("llm", "rerank"):
        (tmp_path / "models" / folder).mkdir(parents=True)
        for path in (ROOT / "models" / folder).glob("*.yaml"):
            shutil.copy(path, tmp_path / "models" / folder / path.name)
    return tmp_path


def listing(cached_prices: dict[str, str | None]) -> dict:
    entries = []
    for model in load_catalog(ROOT / CURATED).models:
        pricing = {
            "prompt": str(Decimal(model.input_price) / 1_000_000),
            "completion": str(Decimal(model.output_price) / 1_000_000),
        }
        cached = cached_prices.get(model.id, model.cached_input_price)
        if cached is not None:
            pricing["input_cache_read"] = str(Decimal(cached) / 1_000_000)
        entries.append(
            {
                "id": model.id,
                "context_length": model.context_size,
                "max_output_length": model.max_output,
                "input_modalities": ["text", "image"] if model.vision else ["text"],
                "supported_features": [f for f in model.features if f not in model.pinned_features],
                "pricing": pricing,
            }
        )
    return {"code": 200, "msg": "success", "data": entries}


def test_every_predefined_model_carries_its_cached_price_and_reasoning_format_in_its_yaml():
    catalog = load_catalog(ROOT / CURATED)
    for model in catalog.models:
        settings = plugin_settings(model.id)
        assert settings["reasoning_format"] == model.reasoning_format == "field"
        assert Decimal(settings["cached_input_price"]) == Decimal(model.cached_input_price)
    assert plugin_settings("deepseek-ai/deepseek-v3.2")["cached_input_price"] == "0.13"


def test_a_changed_cached_price_is_reported_and_written(capsys, project, tmp_path):
    snapshot = tmp_path / "list.json"
    snapshot.write_text(json.dumps(listing({"deepseek-ai/deepseek-v3.2": "0.07"})))
    code = main(["--snapshot", str(snapshot), "--root", str(project), "--write"])
    out = capsys.readouterr().out
    assert code == 1
    assert "  ~ deepseek-ai/deepseek-v3.2  cached input price: 0.13 -> 0.07 USD per 1M tokens  [write]" in out
    written = load_catalog(project / CURATED).by_id()["deepseek-ai/deepseek-v3.2"]
    assert written.cached_input_price == "0.07"
    document = yaml.safe_load((project / "models/llm/deepseek-ai__deepseek-v3.2.yaml").read_text())
    assert document["atlascloud"]["cached_input_price"] == "0.07"
    assert main(["--snapshot", str(snapshot), "--root", str(project)]) == 0


def test_a_list_without_a_cached_price_keeps_the_shipped_one(capsys, project, tmp_path):
    snapshot = tmp_path / "list.json"
    snapshot.write_text(json.dumps(listing({"zai-org/glm-5.1": None})))
    assert main(["--snapshot", str(snapshot), "--root", str(project)]) == 0
    assert "  ? zai-org/glm-5.1  no usable pricing.input_cache_read" in capsys.readouterr().out


def test_the_reasoning_format_is_one_of_three_and_defaults_to_a_field():
    text = (ROOT / CURATED).read_text(encoding="utf-8")
    assert render(parse_catalog(text.replace("reasoning_format: field", "reasoning_format: template", 1)))
    with pytest.raises(CatalogError, match="reasoning_format 'guess' is not one of"):
        parse_catalog(text.replace("reasoning_format: field", "reasoning_format: guess", 1))
    assert parse_catalog(text.replace("    reasoning_format: field\n", "")).models[0].reasoning_format == "field"
