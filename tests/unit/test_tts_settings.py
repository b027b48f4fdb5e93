"""Voices per language, user-added TTS forms, and job templates."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from dify_plugin.entities.model import AIModelEntity, FetchFrom, ModelPropertyKey, ModelType

from models.tts.settings import (
    DIFY_LANGUAGES,
    TtsSettings,
    Voice,
    customizable_tts_schema,
    settings_from_form,
    settings_from_schema,
)
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


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"voice_parameter": "voice id"},
            "'voice_parameter' must be a parameter name such as 'voice' (letters, digits, underscores).",
        ),
        (
            {"format_parameter": "a-b"},
            "'format_parameter' must be a parameter name such as 'format' (letters, digits, underscores).",
        ),
        ({"audio_format": "flac"}, "The audio format must be one of mp3, wav."),
    ],
)
def test_form_errors_say_what_a_valid_value_looks_like(form, message):
    with pytest.raises(FormError) as caught:
        settings_from_form(form)
    assert str(caught.value) == message


def test_voices_in_the_form_may_be_one_per_line_and_the_form_names_the_default():
    settings = settings_from_form({"voices": "eve\nrex:Rex\n", "default_voice": " rex ", "audio_format": "wav"})
    assert [(v.mode, v.name) for v in settings.voices] == [("eve", "eve"), ("rex", "Rex")]
    assert settings.default_voice == "rex" and settings.audio_type == "wav"


def test_an_empty_form_has_no_voice_to_default_to_and_the_standard_sizes():
    settings = settings_from_form({})
    assert settings.voices == () and settings.default_voice == ""
    assert (settings.audio_type, settings.piece_chars, settings.max_workers) == ("mp3", 1000, 3)
    schema = customizable_tts_schema("x/tts", {})
    assert ModelPropertyKey.DEFAULT_VOICE not in schema.model_properties


def test_a_user_added_models_schema_lists_the_schemas_voices_its_default_and_its_price_per_1000_characters():
    schema = customizable_tts_schema("x/tts", {"input_price": "0.015"}, ["Kore", "Puck"])
    assert schema.model_properties[ModelPropertyKey.VOICES] == [
        {"mode": "Kore", "name": "Kore", "language": list(DIFY_LANGUAGES)},
        {"mode": "Puck", "name": "Puck", "language": list(DIFY_LANGUAGES)},
    ]
    assert schema.model_properties[ModelPropertyKey.DEFAULT_VOICE] == "Kore"
    assert schema.fetch_from == FetchFrom.CUSTOMIZABLE_MODEL and schema.model_type == ModelType.TTS
    assert schema.label.en_us == "x/tts" and schema.parameter_rules == []
    pricing = schema.pricing
    assert pricing is not None
    assert (pricing.input, pricing.output, pricing.unit, pricing.currency) == (
        Decimal("0.015"),
        Decimal(0),
        Decimal("0.001"),
        "USD",
    )


def tts_schema(properties: dict) -> AIModelEntity:
    return AIModelEntity(model="x/tts", label={"en_US": "x/tts"}, model_type=ModelType.TTS, model_properties=properties)


def test_a_predefined_model_reads_every_setting_from_its_yaml():
    properties = {
        ModelPropertyKey.AUDIO_TYPE: "wav",
        ModelPropertyKey.WORD_LIMIT: 400,
        ModelPropertyKey.MAX_WORKERS: 5,
        ModelPropertyKey.DEFAULT_VOICE: "b",
        ModelPropertyKey.VOICES: [{"mode": "a"}, {"mode": "b", "name": "Bea", "language": ["ja-JP"]}],
    }
    settings = settings_from_schema(tts_schema(properties), {"body": {"text": "{text}"}, "max_text_chars": 2000})
    assert (settings.audio_type, settings.piece_chars, settings.max_workers, settings.max_text_chars) == (
        "wav",
        400,
        5,
        2000,
    )
    assert settings.voices == (Voice("a", "a", DIFY_LANGUAGES), Voice("b", "Bea", ("ja-JP",)))
    assert settings.default_voice == "b"


def test_a_predefined_model_that_names_nothing_gets_the_defaults():
    settings = settings_from_schema(tts_schema({}), {"body": {"text": "{text}"}})
    assert (settings.audio_type, settings.piece_chars, settings.max_workers, settings.max_text_chars) == (
        "mp3",
        1000,
        3,
        10_000,
    )
    assert settings.voices == () and settings.default_voice == ""


def test_a_model_without_a_voice_list_takes_the_voice_it_is_given_else_its_default():
    settings = TtsSettings(body={}, default_voice="ara")
    assert settings.voice_for(" leo ") == "leo"
    assert settings.voice_for(None) == settings.voice_for("  ") == "ara"


def test_a_voice_is_listed_to_dify_with_its_mode_name_and_languages():
    assert Voice("eve", "Eve", ("en-US",)).entry() == {"mode": "eve", "name": "Eve", "language": ["en-US"]}


def test_a_voice_for_the_exact_language_beats_voices_of_the_same_language_and_a_nameless_one_shows_its_id():
    voices = [{"mode": "any"}, {"mode": "us", "language": ["en-US"]}, {"mode": "gb", "language": ["en-GB"]}]
    assert voices_for(voices, "en-GB") == [{"name": "gb", "value": "gb"}]
    assert voices_for(voices, "en-AU") == [{"name": "us", "value": "us"}, {"name": "gb", "value": "gb"}]
    assert voices_for(voices[:1], "en-US") == [{"name": "any", "value": "any"}]


def test_a_price_that_is_not_a_number_is_refused_in_the_unit_of_the_form():
    with pytest.raises(FormError) as caught:
        customizable_tts_schema("x/tts", {"input_price": "cheap"})
    assert str(caught.value) == "'input_price' must be a number (USD per 1,000 characters), got 'cheap'"
