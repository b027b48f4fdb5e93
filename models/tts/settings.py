"""How a TTS model is called: its job template, voices, audio format, piece size and workers.

A predefined model reads them from its YAML (model_properties + the `atlascloud:` block, each
value with its source); a user-added model from its form. The job template names the model's
own parameters; "{text}" and "{voice}" are filled per piece (provider/media_body.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dify_plugin.entities import I18nObject
from dify_plugin.entities.model import AIModelEntity, FetchFrom, ModelPropertyKey, ModelType, PriceConfig

from models.audio_utils.join import JOINABLE
from models.common.labels import same_in_every_language
from provider.errors.tree import FormError
from provider.forms import positive_int, price

# Dify's interface languages (web/i18n-config/language.ts): a voice lists those it speaks.
DIFY_LANGUAGES = (
    "en-US", "zh-Hans", "zh-Hant", "pt-BR", "es-ES", "fr-FR", "de-DE", "ja-JP", "ko-KR", "ru-RU", "it-IT",
    "th-TH", "id-ID", "uk-UA", "vi-VN", "ro-RO", "pl-PL", "hi-IN", "tr-TR", "fa-IR", "sl-SI", "ar-TN",
)  # fmt: skip
DEFAULT_PIECE_CHARS = 1000
DEFAULT_WORKERS = 3
MAX_WORKERS = 8
# The longest text one call accepts: pieces x job time must fit the 570 s budget (docs/voice.md).
MAX_TEXT_CHARS = 10_000
_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"


@dataclass(frozen=True)
class Voice:
    mode: str  # what the model is sent
    name: str
    languages: tuple[str, ...] = DIFY_LANGUAGES

    def entry(self) -> dict[str, Any]:
        return {"mode": self.mode, "name": self.name, "language": list(self.languages)}


@dataclass(frozen=True)
class TtsSettings:
    body: Mapping[str, Any]
    audio_type: str = "mp3"
    piece_chars: int = DEFAULT_PIECE_CHARS
    max_workers: int = DEFAULT_WORKERS
    max_text_chars: int = MAX_TEXT_CHARS
    voices: tuple[Voice, ...] = ()
    default_voice: str = ""

    def voice_for(self, asked: str | None) -> str:
        """The voice Dify asked for when the model has it; else the model's default. A model with
        no voice list takes what it is given."""
        asked = (asked or "").strip()
        if not self.voices:
            return asked or self.default_voice
        return asked if any(v.mode == asked for v in self.voices) else self.default_voice


def settings_from_schema(schema: AIModelEntity, block: Mapping[str, Any]) -> TtsSettings:
    """A predefined model: its YAML's model_properties and `atlascloud:` block."""
    properties = schema.model_properties or {}
    return TtsSettings(
        body=dict(block["body"]),
        audio_type=str(properties.get(ModelPropertyKey.AUDIO_TYPE, "mp3")),
        piece_chars=int(properties.get(ModelPropertyKey.WORD_LIMIT, DEFAULT_PIECE_CHARS)),
        max_workers=int(properties.get(ModelPropertyKey.MAX_WORKERS, DEFAULT_WORKERS)),
        max_text_chars=int(block.get("max_text_chars", MAX_TEXT_CHARS)),
        voices=tuple(
            Voice(v["mode"], v.get("name", v["mode"]), tuple(v.get("language") or DIFY_LANGUAGES))
            for v in properties.get(ModelPropertyKey.VOICES) or []
        ),
        default_voice=str(properties.get(ModelPropertyKey.DEFAULT_VOICE) or ""),
    )


def _parameter_name(credentials: Mapping, key: str, default: str) -> str:
    name = str(credentials.get(key) or default).strip()
    if not re.match(_NAME, name):
        raise FormError(f"'{key}' must be a parameter name such as '{default}' (letters, digits, underscores).")
    return name


def _voices_from_form(text: str) -> tuple[Voice, ...]:
    """`id` or `id:Name`, separated by commas or new lines."""
    voices = []
    for item in text.replace("\n", ",").split(","):
        mode, _, name = item.strip().partition(":")
        if mode.strip():
            voices.append(Voice(mode.strip(), name.strip() or mode.strip()))
    return tuple(voices)


def settings_from_form(credentials: Mapping, schema_voices: Sequence[str] = ()) -> TtsSettings:
    """A user-added model: the model's parameter names and voices from its form. When the form
    lists no voices, `schema_voices` (the voice parameter's enum in AtlasCloud's schema) serve."""
    audio_type = str(credentials.get("audio_format") or "mp3")
    if audio_type not in JOINABLE:
        raise FormError(f"The audio format must be one of {', '.join(JOINABLE)}.")
    body: dict[str, Any] = {"text": "{text}"}  # every TTS model AtlasCloud documents takes `text`
    body[_parameter_name(credentials, "voice_parameter", "voice")] = "{voice}"
    if str(credentials.get("format_parameter") or "").strip():
        body[_parameter_name(credentials, "format_parameter", "format")] = audio_type
    voices = _voices_from_form(str(credentials.get("voices") or "")) or tuple(Voice(v, v) for v in schema_voices)
    default = str(credentials.get("default_voice") or "").strip() or (voices[0].mode if voices else "")
    return TtsSettings(
        body=body,
        audio_type=audio_type,
        piece_chars=positive_int(credentials, "word_limit", DEFAULT_PIECE_CHARS),
        max_workers=min(positive_int(credentials, "max_workers", DEFAULT_WORKERS), MAX_WORKERS),
        voices=voices,
        default_voice=default,
    )


def customizable_tts_schema(model: str, credentials: Mapping, schema_voices: Sequence[str] = ()) -> AIModelEntity:
    settings = settings_from_form(credentials, schema_voices)
    properties: dict[Any, Any] = {
        ModelPropertyKey.AUDIO_TYPE: settings.audio_type,
        ModelPropertyKey.WORD_LIMIT: settings.piece_chars,
        ModelPropertyKey.MAX_WORKERS: settings.max_workers,
        ModelPropertyKey.VOICES: [voice.entry() for voice in settings.voices],
    }
    if settings.default_voice:
        properties[ModelPropertyKey.DEFAULT_VOICE] = settings.default_voice
    return AIModelEntity(
        model=model,
        label=I18nObject(**same_in_every_language(model)),
        model_type=ModelType.TTS,
        fetch_from=FetchFrom.CUSTOMIZABLE_MODEL,
        model_properties=properties,
        parameter_rules=[],
        # Dify prices TTS per 1,000 characters (the openai plugin's tts-1 YAML: unit 0.001).
        pricing=PriceConfig(
            input=price(credentials, "input_price", "USD per 1,000 characters"),
            output=Decimal(0),
            unit=Decimal("0.001"),
            currency="USD",
        ),
    )
