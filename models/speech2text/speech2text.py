"""The Dify Speech2TextModel for AtlasCloud: recordings and uploads -> text.

AtlasCloud has no /v1/audio/transcriptions: the audio is uploaded to its temporary media
storage, transcribed by an asynchronous job and polled for (provider/media.py, transcribe.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO

from dify_plugin import Speech2TextModel

from models.common.catalog import plugin_settings
from models.common.media_model import AtlasCloudMediaModel
from models.speech2text.settings import (
    AsrSettings,
    customizable_speech2text_schema,
    settings_from_form,
    settings_from_schema,
)
from models.speech2text.transcribe import transcribe
from provider.connection import connection_from_credentials
from provider.deadline import Deadline
from provider.errors.mapping import guard
from provider.media import MediaClient


class AtlasCloudSpeech2TextModel(AtlasCloudMediaModel, Speech2TextModel):
    kind_label = "Speech-to-text model"
    customizable_schema = staticmethod(customizable_speech2text_schema)

    def _invoke(self, model: str, credentials: dict, file: IO[bytes], user: str | None = None) -> str:
        connection = connection_from_credentials(credentials)
        with guard(connection):
            settings = self._settings(model, credentials)
            media = MediaClient(connection, Deadline.start(what=connection.label), what="transcription")
            return transcribe(media, model, settings, file)

    def _settings(self, model: str, credentials: Mapping) -> AsrSettings:
        block = plugin_settings(model, "speech2text")
        schema = self.get_model_schema(model, credentials) if block else None
        return settings_from_schema(schema, block) if schema else settings_from_form(credentials)
