"""Every text Dify shows exists in en_US, zh_Hans and ja_JP, and is really translated.

Dify shows labels, help texts and placeholders from four places: the provider YAML, each
predefined model YAML, the schema the plugin builds for a user-added model, and manifest.yaml.
The SDK's parameter-rule templates carry en_US and zh_Hans only, and I18nObject fills a missing
language with the English text (dify_plugin/entities/parameters.py), so nothing here may pass
because of that fill: the YAMLs are read raw, and user-added schemas are built with a spy in
place of I18nObject that refuses any text given in fewer than three languages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from dify_plugin.entities import I18nObject
from dify_plugin.entities.model import PARAMETER_RULE_TEMPLATE, AIModelEntity, DefaultParameterName
from pydantic import BaseModel

import models.common.model as shared_schema
import models.llm.schema as llm_schema
from models.common.labels import LANGUAGES, PARAMETER_NAMES, parameter_help, parameter_label
from models.llm.llm import AtlasCloudLargeLanguageModel
from models.rerank.rerank import AtlasCloudRerankModel
from models.text_embedding.text_embedding import AtlasCloudTextEmbeddingModel
from testkit.plugin_driver import PluginProcess, action_request

ROOT = Path(__file__).resolve().parents[2]
MODEL_YAMLS = sorted(
    p for folder in ("llm", "rerank") for p in (ROOT / "models" / folder).glob("*.yaml") if p.name != "_position.yaml"
)
DISPLAYED_YAMLS = [ROOT / "provider" / "atlascloud.yaml", ROOT / "manifest.yaml", *MODEL_YAMLS]

# Texts that stay the same in a translation: names, technical words customary as they are, and
# values that are not language at all (asset file names, links, the key format).
_NOT_TRANSLATED = {
    "AtlasCloud",
    "Top P",
    "JSON Schema",
    "apikey-...",
    "icon.svg",
    "icon-dark.svg",
    "https://www.atlascloud.ai/console/api-keys",
}
_MODEL_NAMES = {
    text for p in MODEL_YAMLS for text in (yaml.safe_load(p.read_text(encoding="utf-8"))["label"]["en_US"],)
}
SAME_AS_ENGLISH_OK = {
    "zh_Hans": _NOT_TRANSLATED | _MODEL_NAMES | {"API Key"},  # Chinese UIs keep "API Key" (Dify's own do)
    "ja_JP": _NOT_TRANSLATED | _MODEL_NAMES,
}
# Chinese needs a Han character; Japanese a kana or kanji; Chinese must not be Japanese by mistake.
_HAN = re.compile(r"[\u4e00-\u9fff]")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_KANA = re.compile(r"[\u3040-\u30ff]")


def translation_problems(texts: dict[str, Any], allowed_same: frozenset[str] = frozenset()) -> list[str]:
    """What is wrong with one {en_US, zh_Hans, ja_JP} mapping; empty when it is right."""
    english = texts.get("en_US")
    problems = [
        f"{lang} missing or empty" for lang in LANGUAGES if not (isinstance(texts.get(lang), str) and texts[lang])
    ]
    if problems:
        return problems
    for lang, script in (("zh_Hans", _HAN), ("ja_JP", _JAPANESE)):
        if english in SAME_AS_ENGLISH_OK[lang] | allowed_same:
            continue
        if texts[lang] == english:
            problems.append(f"{lang} is a copy of the English {english!r}")
        elif not script.search(texts[lang]):
            problems.append(f"{lang} {texts[lang]!r} is not written in that language")
    if _KANA.search(texts["zh_Hans"]):
        problems.append(f"zh_Hans {texts['zh_Hans']!r} contains Japanese kana")
    return problems


def english_mappings(node: Any, path: str = "") -> Iterator[tuple[str, dict]]:
    """Every mapping with an en_US key in a parsed YAML document, with where it is."""
    if isinstance(node, dict):
        if "en_US" in node:
            yield path, node
        for key, value in node.items():
            yield from english_mappings(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            label = value.get("variable") or value.get("name") if isinstance(value, dict) else None
            yield from english_mappings(value, f"{path}[{label or index}]")


@pytest.mark.parametrize("path", DISPLAYED_YAMLS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_text_in_a_yaml_is_in_three_languages(path: Path):
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    found = list(english_mappings(document))
    assert found, "nothing to check: the walk found no texts"
    problems = [f"{where}: {problem}" for where, texts in found for problem in translation_problems(texts)]
    assert problems == []


@pytest.mark.parametrize("path", [p for p in MODEL_YAMLS if "llm" in p.parts], ids=lambda p: p.stem)
def test_every_parameter_rule_has_its_own_label_and_help(path: Path):
    # A rule without them falls back to the SDK template, which has no ja_JP.
    for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["parameter_rules"]:
        for field in ("label", "help"):
            texts = rule.get(field)
            assert isinstance(texts, dict), f"{rule['name']} has no {field}"
            assert translation_problems(texts) == [], (rule["name"], field)


@pytest.mark.parametrize("path", [p for p in MODEL_YAMLS if "llm" in p.parts], ids=lambda p: p.stem)
def test_the_sdk_keeps_the_yaml_texts_over_its_template(path: Path):
    """The SDK merges a rule over its template with a shallow update: our label and help win whole."""
    entity = AIModelEntity.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    for rule in entity.parameter_rules:
        assert rule.label.ja_jp == parameter_label(rule.name)["ja_JP"]
        assert rule.help is not None and rule.help.ja_jp == parameter_help(rule.name)["ja_JP"]


def test_chinese_follows_the_sdk_template_wording():
    """Where our English is the template's, the Chinese is Dify's own, so the UI reads the same."""
    compared = 0
    for name in PARAMETER_NAMES:
        try:
            template = PARAMETER_RULE_TEMPLATE[DefaultParameterName.value_of(name)]
        except ValueError:
            continue  # not a standard parameter (thinking, reasoning_effort)
        ours = {"label": parameter_label(name), "help": parameter_help(name)}
        for field in ("label", "help"):
            if template[field]["en_US"] == ours[field]["en_US"] and "zh_Hans" in template[field]:
                assert ours[field]["zh_Hans"] == template[field]["zh_Hans"], (name, field)
                compared += 1
    assert compared >= 10


# --- user-added models: the schema the plugin builds at run time ----------------------------------

LLM_EVERY_OPTION = {
    "api_key": "apikey-i18n-test",
    "context_size": "65536",
    "max_tokens": "16384",
    "vision_support": "support",
    "function_calling": "support",
    "reasoning": "switchable",
    "structured_output": "support",
    "input_price": "0.5",
    "output_price": "1.5",
}
USER_MODEL = "acme/any-model-v1"


@pytest.fixture
def created(monkeypatch: pytest.MonkeyPatch) -> list[I18nObject]:
    """Every I18nObject the plugin's schema code creates; each must come with all three languages."""
    made: list[I18nObject] = []

    def spy(**texts: str) -> I18nObject:
        problems = translation_problems(texts, frozenset({USER_MODEL}))
        assert not problems, f"I18nObject({texts}): {problems}"
        made.append(I18nObject(**texts))
        return made[-1]

    for module in (llm_schema, shared_schema):
        monkeypatch.setattr(module, "I18nObject", spy)
    return made


def i18n_objects(node: Any) -> Iterator[I18nObject]:
    if isinstance(node, I18nObject):
        yield node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from i18n_objects(getattr(node, name))
    elif isinstance(node, list | tuple):
        for value in node:
            yield from i18n_objects(value)
    elif isinstance(node, dict):
        for value in node.values():
            yield from i18n_objects(value)


def assert_every_text_is_ours(entity: AIModelEntity, created: list[I18nObject]) -> None:
    texts = list(i18n_objects(entity))
    assert texts, "nothing to check"
    for text in texts:
        # Identity, not equality: one the SDK made (its fill of a missing help) would not be in the list.
        assert any(text is mine for mine in created), f"a text the plugin did not write: {text.en_us!r}"


@pytest.mark.parametrize(
    ("model_class", "credentials"),
    [
        (AtlasCloudLargeLanguageModel, LLM_EVERY_OPTION),
        (AtlasCloudRerankModel, {"api_key": "k", "rerank_protocol": "llm", "vision_support": "support"}),
        (AtlasCloudRerankModel, {"api_key": "k", "rerank_protocol": "native", "native_scores": "logits"}),
        (AtlasCloudTextEmbeddingModel, {"api_key": "k", "dimensions": "1536", "input_price": "0.02"}),
    ],
    ids=["llm", "rerank-llm", "rerank-native", "text-embedding"],
)
def test_user_added_schemas_are_written_in_three_languages(model_class, credentials, created):
    # The SDK's own path (it fills template fields after the plugin returns the schema).
    entity = model_class([]).get_customizable_model_schema_from_credentials(USER_MODEL, credentials)
    assert entity is not None
    for rule in entity.parameter_rules:
        assert rule.help is not None, f"{rule.name} has no help"
    assert_every_text_is_ours(entity, created)


def test_the_user_added_llm_offers_every_parameter_with_texts(created):
    entity = AtlasCloudLargeLanguageModel([]).get_customizable_model_schema_from_credentials(
        USER_MODEL, LLM_EVERY_OPTION
    )
    names = [rule.name for rule in entity.parameter_rules]
    assert set(names) == set(PARAMETER_NAMES) - {"reasoning_effort"}, "a rule without texts in models/common/labels.py?"
    rules = {rule.name: rule for rule in entity.parameter_rules}
    assert rules["temperature"].label.ja_jp == "温度" and rules["temperature"].label.zh_hans == "温度"
    assert rules["max_tokens"].help.ja_jp == parameter_help("max_tokens")["ja_JP"]


# --- through the real plugin process ---------------------------------------------------------------


@pytest.fixture(scope="module")
def plugin() -> Iterator[PluginProcess]:
    process = PluginProcess("local")
    yield process
    process.stop()


@pytest.mark.parametrize(
    ("model", "credentials"),
    [("deepseek-ai/deepseek-v3.2", {"api_key": "apikey-i18n-test"}), (USER_MODEL, LLM_EVERY_OPTION)],
    ids=["predefined", "user-added"],
)
def test_the_plugin_serves_japanese_parameter_texts(plugin: PluginProcess, model: str, credentials: dict):
    result = plugin.request(action_request("get_ai_model_schemas", "llm", model, credentials))
    assert result.ok, result.error
    schema = result.single()["model_schema"]
    rules = {rule["name"]: rule for rule in schema["parameter_rules"]}
    assert rules["temperature"]["label"]["ja_JP"] == "温度"
    assert rules["temperature"]["label"]["en_US"] == "Temperature"
    assert {"thinking", "json_schema", "response_format"} <= set(rules)
    for name, rule in rules.items():
        assert rule["label"]["ja_JP"] == parameter_label(name)["ja_JP"], name
        assert rule["help"]["ja_JP"] == parameter_help(name)["ja_JP"], name
        assert rule["help"]["zh_Hans"] == parameter_help(name)["zh_Hans"], name
