"""Voices per language, user-added TTS forms, and job templates."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from dify_plugin.entities.model import AIModelEntity, ModelPropertyKey

from models.tts.settings import customizable_tts_schema, settings_from_form, settings_from_schema
from models.tts.voices import voices_for
from provider.errors.tree import FormError
from provider.media_body import placeholders, render

ROOT = Path(__file__).resolve().parents[2]
VOICES = [
    {"mode": "ara", "name": "Ara", "language": ["en-US", "zh-Hans"]},
    {"mode": "sophie", "name": "Sophie", "language": ["zh-Hans"]},
]


def test_voices_are_listed_for_their_language_then_by_language_alone_then_all():
    assert voices_for(VOICES, "zh-Hans") == [{"name": "Ara", "value": "ara"}, {"name": "Sophie", "value": "sophie"}]
    assert voices_for(VOICES, "en-US") == [{"name": "Ara", "value": "ara"}]
    assert voices_for(VOICES, "en-GB") == [{"name": "Ara", "value": "ara"}]
    assert [v["value"] for v in voices_for(VOICES, "ja-JP")] == ["ara", "sophie"]
    assert len(voices_for(VOICES, None)) == 2


@pytest.mark.parametrize("path", sorted((ROOT / "models" / "tts").glob("*__*.yaml")), ids=lambda p: p.stem)
def test_predefined_tts_models_fill_text_and_voice_and_their_default_voice_is_listed(path):
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    block = document.pop("atlascloud")
    settings = settings_from_schema(AIModelEntity.model_validate(document), block)
    assert placeholders(settings.body) == {"text", "voice"}
    assert settings.default_voice in {v.mode for v in settings.voices}
    assert settings.audio_type == "mp3" and settings.piece_chars <= 1000 <= settings.max_text_chars
    assert document["model_properties"]["voices"][0]["mode"] == settings.default_voice, (
        "Dify's first pick is the default"
    )


def test_a_user_added_model_is_built_from_its_form():
    form = {"voice_parameter": "voice_id", "voices": "eve:Eve, rex", "format_parameter": "codec", "audio_format": "mp3"}
    settings = settings_from_form(form)
    assert settings.body == {"text": "{text}", "voice_id": "{voice}", "codec": "mp3"}
    assert [v.mode for v in settings.voices] == ["eve", "rex"] and settings.default_voice == "eve"
    schema = customizable_tts_schema("x/tts", form)
    assert schema.model_properties[ModelPropertyKey.AUDIO_TYPE] == "mp3"
    assert [v["name"] for v in schema.model_properties[ModelPropertyKey.VOICES]] == ["Eve", "rex"]


def test_without_voices_in_the_form_the_schemas_voices_serve():
    settings = settings_from_form({}, ["Kore", "Puck"])
    assert [v.mode for v in settings.voices] == ["Kore", "Puck"] and settings.default_voice == "Kore"
    assert settings.body == {"text": "{text}", "voice": "{voice}"}


@pytest.mark.parametrize(
    "form",
    [{"voice_parameter": "voice id"}, {"audio_format": "flac"}, {"word_limit": "0"}, {"format_parameter": "a-b"}],
)
def test_unusable_form_values_are_refused_with_a_form_error(form):
    with pytest.raises(FormError):
        settings_from_form(form)


def test_workers_are_capped():
    assert settings_from_form({"max_workers": "50"}).max_workers == 8


def test_templates_fill_exact_placeholders_only_and_drop_keys_without_a_value():
    template = {"text": "{text}", "references": [{"speaker": "{voice}"}], "note": "say {text}", "rate": 24000}
    assert render(template, {"text": "Hi {voice}", "voice": "eve"}) == {
        "text": "Hi {voice}",
        "references": [{"speaker": "eve"}],
        "note": "say {text}",
        "rate": 24000,
    }
    assert render(template, {"text": "Hi", "voice": ""}) == {"text": "Hi", "note": "say {text}", "rate": 24000}
