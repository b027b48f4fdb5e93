"""Speech-to-text models: predefined YAMLs, user-added forms, and reading a transcript."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from dify_plugin.entities.model import AIModelEntity, FetchFrom, ModelPropertyKey, ModelType

from models.speech2text.settings import customizable_speech2text_schema, settings_from_form, settings_from_schema
from models.speech2text.transcribe import text_of
from provider.errors.tree import FormError
from provider.media_body import placeholders, render
from provider.media_reply import Prediction

ROOT = Path(__file__).resolve().parents[2]
YAMLS = sorted((ROOT / "models" / "speech2text").glob("*__*.yaml"))


def settings_of(path: Path):
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    block = document.pop("atlascloud")
    return document, settings_from_schema(AIModelEntity.model_validate(document), block)


@pytest.mark.parametrize("path", YAMLS, ids=lambda p: p.stem)
def test_predefined_models_take_the_uploaded_url_and_stay_within_atlasclouds_50_mb(path):
    document, settings = settings_of(path)
    assert "audio_url" in placeholders(settings.body)
    assert settings.max_bytes <= 50_000_000
    assert document["model"] == path.stem.replace("__", "/")


def test_seed_asr_names_the_format_it_is_sent_and_reads_three_formats():
    _, settings = settings_of(ROOT / "models" / "speech2text" / "bytedance__seed-asr-2.0.yaml")
    assert settings.formats == {"mp3", "wav", "ogg"}
    body = render(settings.body, {"audio_url": "https://x/a.wav", "format": "wav"})
    assert body == {"audio_url": "https://x/a.wav", "format": "wav", "enable_itn": True, "enable_punc": True}


def test_xai_takes_its_audio_in_the_audio_field():
    _, settings = settings_of(ROOT / "models" / "speech2text" / "xai__stt-v1.yaml")
    assert render(settings.body, {"audio_url": "https://x/a.webm", "format": "webm"}) == {"audio": "https://x/a.webm"}


def test_a_user_added_model_is_built_from_its_form():
    form = {
        "audio_parameter": "audio",
        "format_parameter": "format",
        "audio_formats": "mp3, .WAV",
        "file_upload_limit": "80",
    }
    settings = settings_from_form(form)
    assert settings.body == {"audio": "{audio_url}", "format": "{format}"}
    assert settings.formats == {"mp3", "wav"}
    assert settings.max_bytes == 50_000_000, "never over AtlasCloud's 50 MB"
    schema = customizable_speech2text_schema("x/asr", form)
    assert schema.model_properties[ModelPropertyKey.SUPPORTED_FILE_EXTENSIONS] == "mp3,wav"
    assert settings_from_form({}).formats == {"mp3", "wav", "m4a", "webm", "ogg", "flac"}


@pytest.mark.parametrize(
    "form", [{"audio_formats": "mp3,aiff"}, {"audio_parameter": "audio url"}, {"audio_formats": " , "}]
)
def test_unusable_forms_are_refused(form):
    with pytest.raises(FormError):
        settings_from_form(form)


def test_the_transcript_is_the_first_output_even_when_it_looks_like_a_url():
    assert text_of(Prediction("j", "completed", ("https://example.com is what she said",))) == (
        "https://example.com is what she said"
    )
    assert text_of(Prediction("j", "completed", (), payload={"stt_result": {"text": " Hello. "}})) == "Hello."
    assert text_of(Prediction("j", "completed", ("",))) == ""


def test_an_unknown_format_is_refused_naming_the_six_formats_and_the_first_80_characters():
    with pytest.raises(FormError) as caught:
        settings_from_form({"audio_formats": "mp3,aiff"})
    assert str(caught.value) == "The audio formats must be some of mp3, wav, m4a, webm, ogg, flac; got 'mp3,aiff'."
    long_list = "mp3," + "x" * 200
    with pytest.raises(FormError) as caught:
        settings_from_form({"audio_formats": long_list})
    assert f"got {long_list[:80]!r}." in str(caught.value)


def test_an_empty_form_sends_the_audio_as_audio_url_and_names_no_format():
    settings = settings_from_form({})
    assert settings.body == {"audio_url": "{audio_url}"}
    assert settings.max_bytes == 50_000_000 and settings.max_duration_s == 3600.0


def test_a_smaller_upload_limit_in_the_form_is_kept():
    assert settings_from_form({"file_upload_limit": "20"}).max_bytes == 20_000_000
    schema = customizable_speech2text_schema("x/asr", {"file_upload_limit": "20"})
    assert schema.model_properties[ModelPropertyKey.FILE_UPLOAD_LIMIT] == 20


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"audio_parameter": "audio url"},
            "The audio parameter must be a parameter name such as 'audio_url' or 'audio'.",
        ),
        ({"format_parameter": "a-b"}, "The format parameter must be a parameter name such as 'format'."),
    ],
)
def test_a_parameter_name_that_is_not_a_name_is_refused_with_an_example(form, message):
    with pytest.raises(FormError) as caught:
        settings_from_form(form)
    assert str(caught.value) == message


def test_a_user_added_model_is_listed_under_its_own_name_as_a_customizable_model():
    schema = customizable_speech2text_schema("x/asr", {"audio_formats": "wav"})
    assert schema.label.en_us == schema.label.zh_hans == schema.label.ja_jp == "x/asr"
    assert schema.fetch_from == FetchFrom.CUSTOMIZABLE_MODEL
    assert schema.model_type == ModelType.SPEECH2TEXT and schema.parameter_rules == []


def minimal_schema(properties: dict) -> AIModelEntity:
    return AIModelEntity(
        model="x/asr", label={"en_US": "x/asr"}, model_type=ModelType.SPEECH2TEXT, model_properties=properties
    )


def test_a_predefined_model_takes_its_limits_from_its_yaml_and_defaults_when_it_names_none():
    schema = minimal_schema({ModelPropertyKey.SUPPORTED_FILE_EXTENSIONS: "wav", ModelPropertyKey.FILE_UPLOAD_LIMIT: 10})
    settings = settings_from_schema(schema, {"body": {"audio": "{audio_url}"}, "max_duration_s": 600})
    assert (settings.max_bytes, settings.max_duration_s, settings.formats) == (10_000_000, 600.0, {"wav"})
    settings = settings_from_schema(minimal_schema({ModelPropertyKey.SUPPORTED_FILE_EXTENSIONS: "wav"}), {"body": {}})
    assert (settings.max_bytes, settings.max_duration_s) == (50_000_000, 3600.0)


def test_a_predefined_model_without_formats_is_refused_naming_what_it_got():
    with pytest.raises(FormError, match=r"got ''\.$"):
        settings_from_schema(minimal_schema({}), {"body": {}})
