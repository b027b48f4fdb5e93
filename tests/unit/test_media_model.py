"""Validation of a speech or voice model (models/common/media_model.py): the form first (nothing is
sent for a form the plugin cannot use), then the key, then that AtlasCloud lists the model as an
audio model; every failure reaches Dify as CredentialsValidateFailedError naming the model, without
the key. The key check and the media client are stand-ins here (their own tests cover them)."""

from __future__ import annotations

from typing import Any

import pytest
from dify_plugin.errors.model import CredentialsValidateFailedError

import models.common.media_model as media_model
from models.common.catalog import predefined_model_ids
from models.speech2text.speech2text import AtlasCloudSpeech2TextModel
from models.tts.tts import AtlasCloudText2SpeechModel
from provider.connection import Connection
from provider.deadline import Deadline
from provider.errors.tree import NotServed, StatusError
from tests.unit.fakes import status_error

KEY = "plain-secret-k3y-42"  # not key-shaped: only the configured key redacts it
CREDENTIALS = {"api_key": KEY, "voices": "alloy"}  # voices typed: the voice model looks none up
MODEL = "acme/whisper"


class Calls:
    """What validation asked of the key check and the media client, in order."""

    def __init__(self) -> None:
        self.log: list[tuple[str, Any, ...]] = []
        self.verify_error: Exception | None = None
        self.require_error: Exception | None = None


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    record = Calls()

    def verify_api_key(connection: Connection, preferred: list[str]) -> None:
        record.log.append(("verify", connection, preferred))
        if record.verify_error is not None:
            raise record.verify_error

    class FakeMediaClient:
        def __init__(self, connection: Connection, deadline: Deadline) -> None:
            self.connection = connection
            assert 0 < deadline.remaining() <= 60

        def require(self, model: str, kind: str) -> None:
            record.log.append(("require", self.connection, model, kind))
            if record.require_error is not None:
                raise record.require_error

    monkeypatch.setattr(media_model, "verify_api_key", verify_api_key)
    monkeypatch.setattr(media_model, "MediaClient", FakeMediaClient)
    return record


def test_a_usable_form_checks_the_key_then_that_the_model_is_listed_as_audio(calls: Calls):
    AtlasCloudSpeech2TextModel([]).validate_credentials(MODEL, CREDENTIALS)
    connection = Connection("https://api.atlascloud.ai/v1", KEY)
    assert calls.log == [
        ("verify", connection, predefined_model_ids()),
        ("require", connection, MODEL, "Audio"),
    ]


def test_a_form_the_plugin_cannot_use_fails_in_its_own_words_before_anything_is_sent(calls: Calls):
    with pytest.raises(CredentialsValidateFailedError) as failed:
        AtlasCloudSpeech2TextModel([]).validate_credentials(MODEL, {**CREDENTIALS, "audio_parameter": "two words"})
    assert str(failed.value) == "The audio parameter must be a parameter name such as 'audio_url' or 'audio'."
    assert calls.log == []


def test_a_failed_key_check_reaches_dify_unchanged(calls: Calls):
    calls.verify_error = CredentialsValidateFailedError("AtlasCloud credentials check failed: the key is wrong")
    with pytest.raises(CredentialsValidateFailedError) as failed:
        AtlasCloudText2SpeechModel([]).validate_credentials(MODEL, CREDENTIALS)
    assert failed.value is calls.verify_error
    assert [call[0] for call in calls.log] == ["verify"]


def test_a_model_of_another_kind_is_refused_in_the_listings_words(calls: Calls):
    calls.require_error = NotServed(f"AtlasCloud lists '{MODEL}' among its Image models, not Audio; pick another.")
    with pytest.raises(CredentialsValidateFailedError) as failed:
        AtlasCloudSpeech2TextModel([]).validate_credentials(MODEL, CREDENTIALS)
    assert str(failed.value) == f"AtlasCloud lists '{MODEL}' among its Image models, not Audio; pick another."


@pytest.mark.parametrize(
    ("model_class", "label"),
    [(AtlasCloudSpeech2TextModel, "Speech-to-text model"), (AtlasCloudText2SpeechModel, "Text-to-speech model")],
)
def test_an_upstream_failure_names_the_model_type_and_model_without_the_key(calls: Calls, model_class, label):
    refusal: StatusError = status_error(500, json={"msg": f"internal trouble for {KEY}"})
    calls.require_error = refusal
    with pytest.raises(CredentialsValidateFailedError) as failed:
        model_class([]).validate_credentials(MODEL, CREDENTIALS)
    assert str(failed.value).startswith(f"{label} '{MODEL}': ")
    assert KEY not in str(failed.value)
