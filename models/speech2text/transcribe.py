"""One transcription: check the audio, upload it, submit the job, wait, read the text.

Nothing billed is submitted for audio that would fail: the audio is checked from its content
(models/audio_utils/inspect.py) and the job against the model's published schema before the
upload; the upload itself goes to AtlasCloud's temporary media storage (PRIVACY.md).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import IO, Any

from models.audio_utils.info import AudioInfo
from models.audio_utils.inspect import inspect_audio
from models.common.threads import run_blocking
from models.speech2text.settings import AsrSettings
from provider.errors.tree import AudioError
from provider.media import MediaClient
from provider.media_body import render
from provider.media_reply import Prediction

logger = logging.getLogger(__name__)

# Stands in for the upload's URL while the job is checked against the schema (a URL is a string).
_PROBE_URL = "https://media.invalid/audio"


def transcribe(media: MediaClient, model: str, settings: AsrSettings, file: IO[bytes]) -> str:
    started = time.monotonic()
    # Reading a large file takes a moment of CPU: off the greenlet, so other sessions keep going.
    # The verdict comes back as a value: gevent's pool prints any exception raised in it to stderr.
    info = run_blocking(_inspected, file, settings, model)
    if isinstance(info, AudioError):
        raise info
    values = {"format": info.format, "audio_url": f"{_PROBE_URL}.{info.extension}"}
    media.check(model, render(settings.body, values))
    file.seek(0)
    values["audio_url"] = media.upload(file, f"audio.{info.extension}", info.mime_type)
    prediction = media.run("generateAudio", {"model": model, **render(settings.body, values)})
    text = text_of(prediction)
    logger.info(
        "speech2text: model=%s format=%s bytes=%d audio_s=%.1f job=%s chars=%d elapsed_s=%.1f",
        model, info.format, info.size, info.duration_s, prediction.id, len(text), time.monotonic() - started,
    )  # fmt: skip
    return text


def _inspected(file: IO[bytes], settings: AsrSettings, model: str) -> AudioInfo | AudioError:
    try:
        return inspect_audio(file, settings.max_bytes, settings.max_duration_s, settings.formats, model)
    except AudioError as error:
        return error


def text_of(prediction: Prediction) -> str:
    """The transcript: `outputs[0]` is the text itself, even when it looks like a URL (AtlasCloud's
    audio docs: never download it); else the structured `stt_result.text`. Silence gives ""."""
    for output in prediction.outputs:
        if output.strip():
            return output.strip()
    result: Any = prediction.payload.get("stt_result")
    if isinstance(result, Mapping) and isinstance(result.get("text"), str):
        return result["text"].strip()
    return ""
