"""Read the curated catalog (tools/catalog/curated.yaml) and rewrite its synced numbers in place.

The file is edited line by line rather than re-dumped, so its comments, order and evidence
text survive a `sync_catalog.py --write` untouched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

CURATED_PATH = Path(__file__).resolve().parent / "curated.yaml"

# The fields AtlasCloud's /v1/models publishes and the sync may rewrite.
SYNCED_FIELDS = ("context_size", "max_output", "input_price", "output_price", "cached_input_price")
KNOWN_FEATURES = frozenset({"tools", "reasoning", "json_mode", "structured_outputs"})
# How a model's reasoning arrives (models/llm/think.py): a separate field, inline <think> tags, or
# a chat template that opens <think> in the prompt.
REASONING_FORMATS = ("field", "inline", "template")


class CatalogError(ValueError):
    """The curated file is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class CuratedModel:
    id: str
    name: str
    context_size: int
    max_output: int
    input_price: str  # USD per 1M tokens, as written in the file
    output_price: str
    cached_input_price: str | None  # a prompt token read from the prompt cache; None: no such price
    vision: bool
    features: tuple[str, ...]
    pinned_features: tuple[str, ...]
    thinking_switch: bool
    reasoning_effort: bool
    reasoning_format: str
    image_tokens: dict[str, Any] | None


@dataclass(frozen=True)
class Ranker:
    id: str
    disable_thinking: bool


@dataclass(frozen=True)
class Catalog:
    models: tuple[CuratedModel, ...]
    rankers: tuple[Ranker, ...]
    max_tokens_default: int

    def by_id(self) -> dict[str, CuratedModel]:
        return {model.id: model for model in self.models}


def _price(model_id: str, field: str, value: Any) -> str:
    text = str(value)
    try:
        if not isinstance(value, str) or Decimal(text) <= 0:
            raise InvalidOperation
    except InvalidOperation:
        raise CatalogError(
            f'{model_id}: {field} must be a positive decimal string such as "0.26", not {value!r}'
        ) from None
    return text


def _positive_int(model_id: str, field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise CatalogError(f"{model_id}: {field} must be a positive whole number of tokens, not {value!r}")
    return value


def _model(entry: dict[str, Any], image_rules: dict[str, dict[str, Any]]) -> CuratedModel:
    model_id = str(entry.get("id") or "")
    if not model_id:
        raise CatalogError(f"a model entry has no id: {entry!r}")
    features = tuple(entry.get("features") or ())
    pinned = tuple(entry.get("pinned_features") or ())
    unknown = (set(features) | set(pinned)) - KNOWN_FEATURES
    if unknown:
        raise CatalogError(f"{model_id}: unknown features {sorted(unknown)}; use {sorted(KNOWN_FEATURES)}")
    vision = bool(entry.get("vision"))
    rule_name = entry.get("image_tokens")
    if vision != (rule_name is not None):
        raise CatalogError(f"{model_id}: a vision model needs an image_tokens rule, and only a vision model has one")
    if rule_name is not None and rule_name not in image_rules:
        raise CatalogError(f"{model_id}: image_tokens {rule_name!r} is not one of {sorted(image_rules)}")
    reasoning_format = entry.get("reasoning_format", "field")
    if reasoning_format not in REASONING_FORMATS:
        raise CatalogError(f"{model_id}: reasoning_format {reasoning_format!r} is not one of {list(REASONING_FORMATS)}")
    cached = entry.get("cached_input_price")
    return CuratedModel(
        id=model_id,
        name=str(entry["name"]),
        context_size=_positive_int(model_id, "context_size", entry.get("context_size")),
        max_output=_positive_int(model_id, "max_output", entry.get("max_output")),
        input_price=_price(model_id, "input_price", entry.get("input_price")),
        output_price=_price(model_id, "output_price", entry.get("output_price")),
        cached_input_price=None if cached is None else _price(model_id, "cached_input_price", cached),
        vision=vision,
        features=features,
        pinned_features=pinned,
        thinking_switch=bool(entry.get("thinking_switch")),
        reasoning_effort=bool(entry.get("reasoning_effort")),
        reasoning_format=reasoning_format,
        image_tokens=dict(image_rules[rule_name]) if rule_name else None,
    )


def parse_catalog(text: str) -> Catalog:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise CatalogError(f"the curated catalog is not valid YAML: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("models"), list):
        raise CatalogError("the curated catalog needs a `models:` list")
    image_rules = document.get("image_rules") or {}
    models = tuple(_model(entry, image_rules) for entry in document["models"])
    ids = [model.id for model in models]
    if len(ids) != len(set(ids)):
        raise CatalogError("a model id appears twice in the curated catalog")
    rankers = tuple(Ranker(str(r["id"]), bool(r.get("disable_thinking"))) for r in document.get("rankers") or [])
    missing = [r.id for r in rankers if r.id not in ids]
    if missing:
        raise CatalogError(f"rankers {missing} are not curated models")
    default = _positive_int("max_tokens_default", "value", document.get("max_tokens_default"))
    return Catalog(models=models, rankers=rankers, max_tokens_default=default)


def load_catalog(path: Path = CURATED_PATH) -> Catalog:
    try:
        return parse_catalog(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CatalogError(f"cannot read the curated catalog {path}: {error.strerror}") from None


def plain_decimal(value: Decimal) -> str:
    """A Decimal as a plain number without exponent or trailing zeros: 0.28000000 -> 0.28, 4.000 -> 4."""
    return format(value.normalize(), "f")


def _formatted(field: str, value: int | Decimal) -> str:
    if field.endswith("_price"):
        return f'"{plain_decimal(Decimal(value))}"'
    return str(int(value))


_MODEL_START = re.compile(r"^  - id: (?P<id>.+?)\s*$")
_SECTION = re.compile(r"^[A-Za-z_]")
_FIELD = re.compile(r"^(?P<head>    (?P<key>[a-z_]+): )(?P<value>\"[^\"]*\"|\d+)(?P<tail>.*)$")


def rewrite_numbers(text: str, updates: dict[str, dict[str, int | Decimal]]) -> str:
    """Set synced fields of models in the curated file's text; everything else stays byte for byte.

    `updates` maps a model id to {field: new value}; prices are Decimals (USD per 1M tokens).
    """
    for changes in updates.values():
        bad = set(changes) - set(SYNCED_FIELDS)
        if bad:
            raise CatalogError(f"only {SYNCED_FIELDS} can be rewritten, not {sorted(bad)}")
    lines = text.splitlines(keepends=True)
    section, model_id = None, None
    for index, line in enumerate(lines):
        if _SECTION.match(line):
            section, model_id = line.split(":", 1)[0], None
            continue
        start = _MODEL_START.match(line)
        if start:
            model_id = yaml.safe_load(start["id"]) if section == "models" else None
            continue
        field = _FIELD.match(line.rstrip("\n"))
        if model_id in updates and field and field["key"] in updates[model_id]:
            ending = line[len(line.rstrip("\n")) :]
            value = _formatted(field["key"], updates[model_id][field["key"]])
            lines[index] = f"{field['head']}{value}{field['tail']}{ending}"
    result = "".join(lines)
    _check_rewrite(result, updates)
    return result


def _check_rewrite(text: str, updates: dict[str, dict[str, int | Decimal]]) -> None:
    """Refuse to save a file in which a requested value did not land (an unexpected layout)."""
    models = parse_catalog(text).by_id()
    for model_id, changes in updates.items():
        if model_id not in models:
            raise CatalogError(f"{model_id} is not a curated model; add it by hand")
        for field, value in changes.items():
            written = getattr(models[model_id], field)
            if written is None or (Decimal(written) if field.endswith("_price") else written) != value:
                raise CatalogError(f"could not rewrite {field} of {model_id} in the curated file; edit it by hand")
