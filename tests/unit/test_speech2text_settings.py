"""Speech-to-text models: predefined YAMLs, user-added forms, and reading a transcript."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from dify_plugin.entities.model import AIModelEntity, ModelPropertyKey

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
