"""The media models the simulator serves, as AtlasCloud lists them, and their parameter schemas.

The list answers `GET /api/v1/models` (public) in AtlasCloud's shape; each entry's `schema` is
the URL of an OpenAPI document with `components.schemas.Input`, served by the simulator. The
parameters follow docs/research/speech-api.md; where AtlasCloud publishes no enum, the
simulator's is its own choice (noted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

_XAI_LANGUAGES = ["auto", "en", "zh", "fr", "de", "ja", "ko", "es-ES", "pt-BR", "ru", "it"]


@dataclass(frozen=True)
class SimMediaModel:
    id: str
    kind: str  # "tts" | "asr" | "image"
    properties: dict[str, Any]
    required: list[str]
    type: str = "Audio"
    output: str = "mp3"  # what a TTS job returns: "mp3" | "wav"
    audio_field: str = "audio_url"  # where an ASR job finds its audio
    price: dict[str, Any] = field(default_factory=dict)

    def listing(self, base: str) -> dict[str, Any]:
        return {
            "model": self.id,
            "type": self.type,
            "displayName": self.id.split("/")[-1],
            "categories": ["TEXT-TO-SPEECH"] if self.kind == "tts" else ["SPEECH-TO-TEXT"],
            "schema": f"{base}/schemas/{quote(self.id, safe='')}.json",
            "display_console": True,
        }

    def schema(self) -> dict[str, Any]:
        inputs = {"type": "object", "properties": self.properties, "required": self.required}
        return {"openapi": "3.0.0", "components": {"schemas": {"Input": inputs, "PredictionResponse": {}}}}


_TEXT = {"type": "string", "description": "Text to synthesize."}
SIM_MEDIA_MODELS: dict[str, SimMediaModel] = {
    m.id: m
    for m in (
        SimMediaModel(
            "bytedance/seed-asr-2.0",
            "asr",
            {
                "audio_url": {"type": "string", "description": "Audio file URL or Base64."},
                "format": {"type": "string", "enum": ["mp3", "wav", "ogg", "raw"], "default": "mp3"},
                "language": {"type": "string"},
                "enable_itn": {"type": "boolean"},
                "enable_punc": {"type": "boolean"},
                "enable_speaker_info": {"type": "boolean"},
                "show_utterances": {"type": "boolean"},
            },
            ["audio_url"],
        ),
        SimMediaModel(
            "xai/stt-v1",
            "asr",
            {"audio": {"type": "string"}, "language": {"type": "string"}},
            ["audio"],
            audio_field="audio",
        ),
        SimMediaModel(
            "bytedance/seed-audio-1.0",
            "tts",
            {
                "text": _TEXT,
                "references": {"type": "array", "items": {"type": "object"}},
                "format": {"type": "string", "enum": ["mp3", "wav", "pcm", "ogg_opus"]},
                "sample_rate": {"type": "integer", "enum": [8000, 16000, 24000, 32000, 44100, 48000]},
                "speech_rate": {"type": "integer", "minimum": -50, "maximum": 100},
            },
            ["text"],
        ),
        SimMediaModel(
            "xai/tts-v1",
            "tts",
            {
                "text": {**_TEXT, "maxLength": 15000},
                "voice_id": {"type": "string", "enum": ["eve", "ara", "rex", "sal", "leo"]},
                "language": {"type": "string", "enum": _XAI_LANGUAGES},
                "codec": {"type": "string", "enum": ["mp3", "wav", "pcm"]},
                "sample_rate": {"type": "integer", "enum": [8000, 16000, 22050, 24000, 44100, 48000]},
            },
            ["text"],
        ),
        # The simulator's choices: AtlasCloud publishes no voice parameter for Gemini TTS.
        SimMediaModel(
            "google/gemini-2.5-flash-tts",
            "tts",
            {"text": _TEXT, "voice": {"type": "string", "enum": ["Kore", "Puck", "Charon", "Aoede"]}},
            ["text"],
        ),
        SimMediaModel("simulator/wav-tts", "tts", {"text": _TEXT, "voice": {"type": "string"}}, ["text"], output="wav"),
        SimMediaModel("bytedance/seedream-v4", "image", {"prompt": {"type": "string"}}, ["prompt"], type="Image"),
    )
}
