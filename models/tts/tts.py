"""The Dify TTSModel for AtlasCloud: text -> one continuous audio stream.

AtlasCloud has no /v1/audio/speech: each piece of the text is an asynchronous job on its media
API (provider/media.py), run side by side and streamed in order (synthesis.py).
"""

from __future__ import annotations

from collections.abc import Generator, Mapping

from dify_plugin import TTSModel
from dify_plugin.entities.model import AIModelEntity, ModelPropertyKey

from models.common.catalog import plugin_settings
from models.common.media_model import AtlasCloudMediaModel
from models.tts.settings import TtsSettings, customizable_tts_schema, settings_from_form, settings_from_schema
from models.tts.synthesis import plan, stream
from models.tts.voices import voices_for
from provider.connection import connection_from_credentials
from provider.deadline import Deadline
from provider.errors.mapping import guard, map_stream_errors
from provider.media import MediaClient

# Looking up a user-added model's voices in AtlasCloud's schema must not hold up Dify's model list.
VOICE_LOOKUP_BUDGET_S = 10.0


def schema_voices(model: str, credentials: Mapping) -> list[str]:
    """The voice parameter's values in the model's published schema (cached), for a user-added
    model whose form lists no voices; empty when they cannot be had."""
    if str(credentials.get("voices") or "").strip():
        return []
    try:
        connection = connection_from_credentials(credentials)
        media = MediaClient(connection, Deadline.start(VOICE_LOOKUP_BUDGET_S))
        return media.choices(model, str(credentials.get("voice_parameter") or "voice").strip())
    except Exception:  # a voice list is a convenience; the form still works without it
        return []


def _customizable(model: str, credentials: Mapping) -> AIModelEntity:
    return customizable_tts_schema(model, credentials, schema_voices(model, credentials))


class AtlasCloudText2SpeechModel(AtlasCloudMediaModel, TTSModel):
    kind_label = "Text-to-speech model"
    customizable_schema = staticmethod(_customizable)

    def _invoke(
        self,
        model: str,
        tenant_id: str,
        credentials: dict,
        content_text: str,
        voice: str,
        user: str | None = None,
    ) -> Generator[bytes, None, None]:
        connection = connection_from_credentials(credentials)
        with guard(connection):
            settings = self._settings(model, credentials)
            media = MediaClient(connection, Deadline.start(what=connection.label), what="speech")
            job_plan = plan(media, model, settings, content_text, voice)
        return map_stream_errors(stream(media, job_plan, settings), connection)

    def _settings(self, model: str, credentials: Mapping) -> TtsSettings:
        block = plugin_settings(model, "tts")
        schema = self.get_model_schema(model, credentials) if block else None
        if schema:
            return settings_from_schema(schema, block)
        return settings_from_form(credentials, schema_voices(model, credentials))

    def get_tts_model_voices(self, model: str, credentials: dict, language: str | None = None) -> list | None:
        schema = self.get_model_schema(model, credentials)
        if schema is None:
            return None
        return voices_for((schema.model_properties or {}).get(ModelPropertyKey.VOICES) or [], language)
