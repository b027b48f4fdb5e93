"""The speech-to-text model end to end in-process: the audio is checked, the job checked against the
schema, the file uploaded under the name and type of its real format, the job run and its text
returned, and one log line written; audio a model cannot read is refused before anything is
uploaded. AtlasCloud's media API is replaced by a recording stand-in (no network)."""

from __future__ import annotations

import io
import logging
import struct
from pathlib import Path
from typing import IO, Any, ClassVar

import httpx
import pytest
import yaml
from dify_plugin.entities.model import AIModelEntity
from dify_plugin.errors.model import InvokeError

from models.speech2text import speech2text as module
from models.speech2text import transcribe as transcribe_module
from models.speech2text.speech2text import AtlasCloudSpeech2TextModel
from provider.connection import Connection
from provider.deadline import Deadline
from provider.media_reply import Prediction
from testkit.simulator.media_audio import mp3_file, wav_file

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "audio"
CREDENTIALS = {"api_key": "apikey-unit-0123456789abcdef", "endpoint_url": "https://gw.example/v1"}
UPLOADED = "https://media.example/uploads/abc"


class Ticking:
    """time.monotonic for the module under test: one second later at every reading."""

    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        self.now += 1.0
        return self.now


class RecordingMedia:
    """Stands in for provider.media.MediaClient: records every call, answers one finished job."""

    made: ClassVar[list[RecordingMedia]] = []
    failure: ClassVar[Exception | None] = None

    def __init__(self, connection: Connection, deadline: Deadline, what: str = "media") -> None:
        self.connection, self.deadline, self.what = connection, deadline, what
        self.checked: list[tuple[str, dict]] = []
        self.uploaded: list[tuple[bytes, str, str]] = []
        self.ran: list[tuple[str, dict]] = []
        RecordingMedia.made.append(self)

    def check(self, model: str, params: dict[str, Any]) -> None:
        self.checked.append((model, params))

    def upload(self, file: IO[bytes], filename: str, content_type: str) -> str:
        self.uploaded.append((file.read(), filename, content_type))
        return UPLOADED

    def run(self, kind: str, body: dict[str, Any]) -> Prediction:
        self.ran.append((kind, body))
        if RecordingMedia.failure is not None:
            raise RecordingMedia.failure
        return Prediction("job-7", "completed", (" Hello, world. ",))


@pytest.fixture
def media(monkeypatch: pytest.MonkeyPatch) -> type[RecordingMedia]:
    RecordingMedia.made = []
    monkeypatch.setattr(RecordingMedia, "failure", None)
    monkeypatch.setattr(module, "MediaClient", RecordingMedia)
    return RecordingMedia


def predefined_schemas() -> list[AIModelEntity]:
    """The schemas Dify's SDK loads from the model YAMLs (the `atlascloud:` block is the plugin's own)."""
    documents = [
        yaml.safe_load(p.read_text(encoding="utf-8")) for p in (ROOT / "models" / "speech2text").glob("*__*.yaml")
    ]
    return [AIModelEntity.model_validate({k: v for k, v in d.items() if k != "atlascloud"}) for d in documents]


def transcribe(model: str, audio: bytes, credentials: dict | None = None) -> str:
    speech2text = AtlasCloudSpeech2TextModel(predefined_schemas())
    return speech2text.invoke(model, credentials or CREDENTIALS, io.BytesIO(audio))


def test_a_recording_is_uploaded_as_its_real_format_and_its_transcript_returned(media, caplog, monkeypatch):
    monkeypatch.setattr(transcribe_module, "time", Ticking())  # started and logged: 1 s apart
    audio = (DATA / "hello.wav").read_bytes()
    with caplog.at_level(logging.INFO, logger="models.speech2text.transcribe"):
        text = transcribe("bytedance/seed-asr-2.0", audio)
    assert text == "Hello, world."
    [client] = media.made
    fixed = {"enable_itn": True, "enable_punc": True}
    assert client.checked == [
        ("bytedance/seed-asr-2.0", {"audio_url": "https://media.invalid/audio.wav", "format": "wav", **fixed})
    ], "the job is checked against the schema before the upload"
    assert client.uploaded == [(audio, "audio.wav", "audio/wav")], "the whole file, from its first byte"
    assert client.ran == [
        ("generateAudio", {"model": "bytedance/seed-asr-2.0", "audio_url": UPLOADED, "format": "wav", **fixed})
    ]
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("speech2text:")]
    assert line == (
        f"speech2text: model=bytedance/seed-asr-2.0 format=wav bytes={len(audio)} audio_s=3.2 job=job-7 "
        "chars=13 elapsed_s=1.0"
    )


def test_the_client_names_the_transcription_and_the_gateway_within_the_calls_time_limit(media):
    transcribe("bytedance/seed-asr-2.0", (DATA / "hello.wav").read_bytes())
    [client] = media.made
    assert client.connection == Connection("https://gw.example/v1", CREDENTIALS["api_key"])
    assert client.what == "transcription"
    assert client.deadline.what == "the endpoint gw.example" and client.deadline.budget_s == 570.0


def test_a_user_added_model_sends_the_audio_and_format_under_the_names_of_its_form(media):
    form = CREDENTIALS | {"audio_parameter": "audio", "format_parameter": "codec", "audio_formats": "mp3"}
    assert transcribe("someone/asr", mp3_file(2.0), form) == "Hello, world."
    [client] = media.made
    assert client.checked == [("someone/asr", {"audio": "https://media.invalid/audio.mp3", "codec": "mp3"})]
    assert [(name, kind) for _, name, kind in client.uploaded] == [("audio.mp3", "audio/mpeg")]
    assert client.ran == [("generateAudio", {"model": "someone/asr", "audio": UPLOADED, "codec": "mp3"})]


def test_audio_in_a_format_the_model_does_not_read_is_refused_before_anything_is_sent(media):
    with pytest.raises(InvokeError, match=r"'bytedance/seed-asr-2.0' reads MP3, Ogg, WAV audio; this file is WebM"):
        transcribe("bytedance/seed-asr-2.0", (DATA / "hello.webm").read_bytes())
    assert all(not (m.checked or m.uploaded or m.ran) for m in media.made)


def test_a_recording_longer_than_the_model_takes_is_refused_before_anything_is_sent(media):
    slow = bytearray(wav_file(0.5))  # 8,000 bytes of PCM
    slow[28:32] = struct.pack("<I", 2)  # at 2 bytes per second: 4,000 s
    with pytest.raises(InvokeError, match=r"lasts 66.7 minutes; 'xai/stt-v1' takes at most 60 minutes"):
        transcribe("xai/stt-v1", bytes(slow))
    assert all(not (m.checked or m.uploaded or m.ran) for m in media.made)


def test_a_failure_talking_to_the_gateway_names_the_gateway(media, monkeypatch):
    monkeypatch.setattr(media, "failure", httpx.ConnectError("refused"))
    with pytest.raises(InvokeError) as caught:
        transcribe("bytedance/seed-asr-2.0", (DATA / "hello.wav").read_bytes())
    assert str(caught.value) == (
        "Could not reach the endpoint gw.example, or the connection dropped; retry, or check the network."
    )
