"""The predefined model YAMLs as the plugin reads them at run time (models/common/catalog.py): the
order Dify lists them in, and each model's own `atlascloud:` block per model type. (test_catalog.py
checks the YAMLs against the catalog builder; this file needs only the plugin.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import models.common.catalog as catalog
from models.common.catalog import plugin_settings, predefined_model_ids

MODELS = Path(__file__).resolve().parents[2] / "models"


def test_the_models_are_listed_in_their_position_files_order():
    for model_type in ("llm", "speech2text", "tts", "rerank"):
        position = yaml.safe_load((MODELS / model_type / "_position.yaml").read_text(encoding="utf-8"))
        assert predefined_model_ids(model_type) == position
    assert predefined_model_ids()[0] == "deepseek-ai/deepseek-v3.2"  # the chat models by default


def test_a_predefined_model_has_its_own_block_per_model_type():
    assert plugin_settings("deepseek-ai/deepseek-v3.2")["cached_input_price"] == "0.13"
    assert plugin_settings("xai/stt-v1", "speech2text")["body"] == {"audio": "{audio_url}"}
    assert "cached_input_price" not in plugin_settings("deepseek-ai/deepseek-v3.2", "rerank")
    assert plugin_settings("xai/stt-v1") == {}  # not a chat model


def test_a_user_added_model_has_no_block():
    assert plugin_settings("acme/my-model") == {}


@pytest.fixture
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setattr(catalog, "MODELS_DIR", tmp_path)
    catalog._documents.cache_clear()
    yield tmp_path
    catalog._documents.cache_clear()


def test_a_model_without_a_block_gets_an_empty_one_and_the_position_file_is_no_model(models_dir: Path):
    chat = models_dir / "llm"
    chat.mkdir()
    (chat / "_position.yaml").write_text("- a/plain\n- b/tuned\n- c/more\n", encoding="utf-8")
    (chat / "a__plain.yaml").write_text("model: a/plain\natlascloud:\n", encoding="utf-8")
    (chat / "b__tuned.yaml").write_text("model: b/tuned\natlascloud:\n  reasoning_format: inline\n", encoding="utf-8")
    (chat / "c__more.yaml").write_text("model: c/more\n", encoding="utf-8")
    assert plugin_settings("a/plain") == {} and plugin_settings("c/more") == {}
    assert plugin_settings("b/tuned") == {"reasoning_format": "inline"}
    assert predefined_model_ids() == ["a/plain", "b/tuned", "c/more"]
