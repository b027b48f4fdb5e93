"""How a speech-to-text model is called: its job template, the formats it reads, its limits.

A predefined model reads them from its YAML (model_properties + the `atlascloud:` block, each
value with its source); a user-added model from its form. The job template names the model's
own parameters; "{audio_url}" (the uploaded file's temporary URL) and "{format}" (the format
read from the audio's content) are filled per call (provider/media_body.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dify_plugin.entities import I18nObject
from dify_plugin.entities.model import AIModelEntity, FetchFrom, ModelPropertyKey, ModelType

from models.audio_utils.info import FORMATS
from models.common.labels import same_in_every_language
from provider.errors.tree import FormError
from provider.forms import positive_int

# AtlasCloud refuses requests over 50 MB (docs/en/errors); no upload limit is published.
ATLASCLOUD_MAX_MB = 50
DEFAULT_MAX_DURATION_S = 3600.0
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


@dataclass(frozen=True)
class AsrSettings:
    body: Mapping[str, Any]
    formats: frozenset[str]
    max_megabytes: int = ATLASCLOUD_MAX_MB
    max_duration_s: float = DEFAULT_MAX_DURATION_S

    @property
    def max_bytes(self) -> int:
        return min(self.max_megabytes, ATLASCLOUD_MAX_MB) * 1_000_000


def _formats(text: str) -> frozenset[str]:
    named = {item.strip().lower().lstrip(".") for item in text.split(",") if item.strip()}
    unknown = named - set(FORMATS)
    if unknown or not named:
        raise FormError(f"The audio formats must be some of {', '.join(FORMATS)}; got {text[:80]!r}.")
    return frozenset(named)


def settings_from_schema(schema: AIModelEntity, block: Mapping[str, Any]) -> AsrSettings:
    """A predefined model: its YAML's model_properties and `atlascloud:` block."""
    properties = schema.model_properties or {}
    return AsrSettings(
        body=dict(block["body"]),
        formats=_formats(str(properties.get(ModelPropertyKey.SUPPORTED_FILE_EXTENSIONS, ""))),
        max_megabytes=int(properties.get(ModelPropertyKey.FILE_UPLOAD_LIMIT, ATLASCLOUD_MAX_MB)),
        max_duration_s=float(block.get("max_duration_s", DEFAULT_MAX_DURATION_S)),
    )


def settings_from_form(credentials: Mapping) -> AsrSettings:
    """A user-added model: the name of its audio parameter (and of its format parameter, if it
    has one), the formats it reads, its size limit."""
    audio_parameter = str(credentials.get("audio_parameter") or "audio_url").strip()
    if not _NAME.match(audio_parameter):
        raise FormError("The audio parameter must be a parameter name such as 'audio_url' or 'audio'.")
    body: dict[str, Any] = {audio_parameter: "{audio_url}"}
    format_parameter = str(credentials.get("format_parameter") or "").strip()
    if format_parameter:
        if not _NAME.match(format_parameter):
            raise FormError("The format parameter must be a parameter name such as 'format'.")
        body[format_parameter] = "{format}"
    return AsrSettings(
        body=body,
        formats=_formats(str(credentials.get("audio_formats") or ",".join(FORMATS))),
        max_megabytes=min(positive_int(credentials, "file_upload_limit", ATLASCLOUD_MAX_MB), ATLASCLOUD_MAX_MB),
    )


def customizable_speech2text_schema(model: str, credentials: Mapping) -> AIModelEntity:
    settings = settings_from_form(credentials)
    return AIModelEntity(
        model=model,
        label=I18nObject(**same_in_every_language(model)),
        model_type=ModelType.SPEECH2TEXT,
        fetch_from=FetchFrom.CUSTOMIZABLE_MODEL,
        model_properties={
            ModelPropertyKey.FILE_UPLOAD_LIMIT: settings.max_megabytes,
            ModelPropertyKey.SUPPORTED_FILE_EXTENSIONS: ",".join(sorted(settings.formats)),
        },
        parameter_rules=[],
    )
