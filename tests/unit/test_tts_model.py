"""The text-to-speech model in-process: a text becomes jobs whose audio is streamed as one stream,
with one log line; errors while streaming reach Dify as its errors; a user-added model's voices
come from its form or AtlasCloud's schema; Dify's voice list per language. AtlasCloud's media API
is replaced by a recording stand-in (no network)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import yaml
from dify_plugin.entities.model import AIModelEntity, ModelPropertyKey
from dify_plugin.errors.model import InvokeError

from models.audio_utils import mp3
from models.audio_utils.source import Source
from models.tts import synthesis
from models.tts import tts as module
from models.tts.tts import AtlasCloudText2SpeechModel, schema_voices
from provider.connection import Connection
from provider.deadline import Deadline
from provider.media_reply import Prediction
from testkit.simulator.media_audio import frames_for, mp3_file, wav_file

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = {"api_key": "apikey-unit-0123456789abcdef", "endpoint_url": "https://gw.example/v1"}
TEXT = "Good morning, and welcome aboard. " + "This sentence is long enough to be a piece of its own here. " * 3


class Ticking:
    """time.monotonic for the module under test: `step` seconds later at every reading."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 100.0, step

    def monotonic(self) -> float:
        self.now += self.step
        return self.now


class RecordingMedia:
    """Stands in for provider.media.MediaClient: records every call; each job's audio is `audio`."""

    made: ClassVar[list[RecordingMedia]] = []
    audio: ClassVar[bytes] = b""
    voices: ClassVar[list[str]] = ["Kore", "Puck"]
    failure: ClassVar[dict[str, Exception]] = {}

    def __init__(self, connection: Connection, deadline: Deadline, what: str = "media") -> None:
        self.connection, self.deadline, self.what = connection, deadline, what
        self.checked: list[tuple[str, dict]] = []
        self.ran: list[tuple[str, dict]] = []
        self.asked: list[tuple[str, str]] = []
        RecordingMedia.made.append(self)

    def check(self, model: str, params: dict[str, Any]) -> None:
        self.checked.append((model, params))
        if "check" in RecordingMedia.failure:
            raise RecordingMedia.failure["check"]

    def run(self, kind: str, body: dict[str, Any]) -> Prediction:
        self.ran.append((kind, body))
        if "run" in RecordingMedia.failure:
            raise RecordingMedia.failure["run"]
        return Prediction(f"job-{len(self.ran)}", "completed", ("https://media.example/out.mp3",))

    def fetch_output(self, prediction: Prediction) -> bytes:
        return RecordingMedia.audio

    def choices(self, model: str, parameter: str) -> list[str]:
        self.asked.append((model, parameter))
        return list(RecordingMedia.voices)


@pytest.fixture
def media(monkeypatch: pytest.MonkeyPatch) -> type[RecordingMedia]:
    RecordingMedia.made = []
    RecordingMedia.audio = mp3_file(0.5)
    RecordingMedia.voices = ["Kore", "Puck"]
    RecordingMedia.failure = {}
    monkeypatch.setattr(module, "MediaClient", RecordingMedia)
    return RecordingMedia


def predefined_schemas() -> list[AIModelEntity]:
    """The schemas Dify's SDK loads from the model YAMLs (the `atlascloud:` block is the plugin's own)."""
    paths = (ROOT / "models" / "tts").glob("*__*.yaml")
    documents = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in paths]
    return [AIModelEntity.model_validate({k: v for k, v in d.items() if k != "atlascloud"}) for d in documents]


def speak(model: str, text: str, voice: str, credentials: dict | None = None) -> list[bytes]:
    tts = AtlasCloudText2SpeechModel(predefined_schemas())
    return list(tts.invoke(model, "tenant", credentials or CREDENTIALS, text, voice))


@pytest.mark.parametrize(
    ("step", "timing"), [(1.0, "first_audio_s=1.00 total_s=2.00"), (0.0, "first_audio_s=0.00 total_s=0.00")]
)
def test_a_text_becomes_one_job_per_piece_and_one_stream_of_their_audio(media, caplog, monkeypatch, step, timing):
    monkeypatch.setattr(synthesis, "time", Ticking(step))  # read when started, at the first audio, at the end
    with caplog.at_level(logging.INFO, logger="models.tts.synthesis"):
        chunks = speak("xai/tts-v1", TEXT, "eve")
    [client] = media.made
    assert client.connection == Connection("https://gw.example/v1", CREDENTIALS["api_key"])
    assert client.what == "speech"
    assert client.deadline.what == "the endpoint gw.example" and client.deadline.budget_s == 570.0
    texts = [body["text"] for _, body in client.ran]
    assert texts[0] == "Good morning, and welcome aboard." and len(texts) == 2
    assert all(kind == "generateAudio" for kind, _ in client.ran)
    assert client.ran[0][1] == {
        "model": "xai/tts-v1",
        "text": texts[0],
        "voice_id": "eve",
        "codec": "mp3",
        "sample_rate": 24000,
    }
    assert [model for model, _ in client.checked] == ["xai/tts-v1"], "checked once, before any job"
    stream = b"".join(chunks)
    scan = mp3.scan(Source(stream), 0, len(stream))
    assert scan.frames == 2 * frames_for(0.5) and scan.skipped == 0, "the frames of both pieces, nothing else"
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("tts:")]
    assert line == f"tts: model=xai/tts-v1 pieces=2 chars={sum(map(len, texts))} bytes={len(stream)} {timing}"


def test_audio_of_the_wrong_kind_while_streaming_reaches_dify_as_its_error(media):
    media.audio = wav_file(0.2)
    with pytest.raises(InvokeError, match="WAV audio where MP3 was expected"):
        speak("xai/tts-v1", "Hello there, how are you?", "eve")


def test_a_user_added_model_without_voices_in_its_form_speaks_with_the_schemas_first_voice(media):
    chunks = speak("someone/tts", "Hello there, how are you?", "", CREDENTIALS | {"voice_parameter": " speaker "})
    assert chunks
    asked = [pair for client in media.made for pair in client.asked]
    assert asked and set(asked) == {("someone/tts", "speaker")}
    [job] = [body for client in media.made for _, body in client.ran]
    assert job == {"model": "someone/tts", "text": "Hello there, how are you?", "speaker": "Kore"}


def test_schema_voices_are_looked_up_quickly_only_when_the_form_lists_none(media):
    assert schema_voices("someone/tts", CREDENTIALS) == ["Kore", "Puck"]
    [client] = media.made
    assert client.asked == [("someone/tts", "voice")]
    assert client.connection == Connection("https://gw.example/v1", CREDENTIALS["api_key"])
    assert client.deadline.budget_s == 10.0
    assert schema_voices("someone/tts", CREDENTIALS | {"voices": "eve"}) == []
    assert len(media.made) == 1, "no lookup when the form lists voices"


def test_schema_voices_are_empty_when_they_cannot_be_had(media, monkeypatch):
    assert schema_voices("someone/tts", {"api_key": ""}) == []

    def refuse(self: RecordingMedia, model: str, parameter: str) -> list[str]:
        raise RuntimeError("schema unavailable")

    monkeypatch.setattr(media, "choices", refuse)
    assert schema_voices("someone/tts", CREDENTIALS) == []


def test_dify_lists_a_models_voices_for_its_language(media):
    tts = AtlasCloudText2SpeechModel(predefined_schemas())
    voices = tts.get_tts_model_voices("xai/tts-v1", CREDENTIALS, "en-US")
    assert voices is not None and [v["value"] for v in voices] == ["ara", "eve", "rex", "sal", "leo"]
    assert voices[0] == {"name": "Ara", "value": "ara"}
    user_added = tts.get_tts_model_voices("someone/tts", CREDENTIALS | {"voices": "eve:Eve"}, "en-US")
    assert user_added == [{"name": "Eve", "value": "eve"}]
    assert tts.get_tts_model_voices("someone/tts", {}, "en-US") is None
    voices_by_language = AIModelEntity.model_validate(
        {
            "model": "x/tts",
            "label": {"en_US": "x/tts"},
            "model_type": "tts",
            "model_properties": {
                "voices": [{"mode": "ja", "language": ["ja-JP"]}, {"mode": "en", "name": "En", "language": ["en-US"]}]
            },
        }
    )
    japanese = AtlasCloudText2SpeechModel([voices_by_language]).get_tts_model_voices("x/tts", {}, "ja-JP")
    assert japanese == [{"name": "ja", "value": "ja"}]


def test_the_schema_of_a_user_added_model_lists_the_schemas_voices(media):
    schema = AtlasCloudText2SpeechModel([]).get_model_schema("someone/tts", CREDENTIALS)
    assert schema is not None
    assert [v["mode"] for v in schema.model_properties[ModelPropertyKey.VOICES]] == ["Kore", "Puck"]
    assert [pair for client in media.made for pair in client.asked] == [("someone/tts", "voice")]


@pytest.mark.parametrize("step", ["check", "run"])
def test_a_failure_talking_to_the_gateway_before_or_while_streaming_names_the_gateway(media, step):
    media.failure = {step: httpx.ConnectError("refused")}
    with pytest.raises(InvokeError) as caught:
        speak("xai/tts-v1", "Hello there, how are you?", "eve")
    assert str(caught.value) == (
        "Could not reach the endpoint gw.example, or the connection dropped; retry, or check the network."
    )
