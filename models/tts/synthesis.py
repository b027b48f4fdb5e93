"""One synthesis: the text in pieces, one job each, run side by side, streamed in order.

- Everything that can be checked is checked before the first job is submitted (each job is
  billed): the text's length, the pieces, the job against the model's published schema.
- The first piece is the first sentence (split.py) and is submitted first, so the first audio
  arrives after one short job; the others run `max_workers` at a time and are streamed in
  order as each turn comes (models/common/threads.py fan_out_in_order).
- The pieces become one continuous stream in chunks far below the daemon's line cap
  (models/audio_utils/join.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from models.audio_utils.join import StreamJoiner
from models.common.threads import fan_out_in_order
from models.tts.settings import TtsSettings
from models.tts.split import pieces
from provider.errors.tree import SpeechTextError
from provider.media import MediaClient
from provider.media_body import render

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Plan:
    model: str
    bodies: tuple[dict[str, Any], ...]  # one job per piece, `model` included
    chars: int


def plan(media: MediaClient, model: str, settings: TtsSettings, text: str, voice: str | None) -> Plan:
    """The jobs for `text`, checked; SpeechTextError or ParameterError before anything is billed."""
    text = text or ""
    if len(text) > settings.max_text_chars:
        raise SpeechTextError(
            f"The text has {len(text)} characters; this plugin reads at most {settings.max_text_chars} aloud in one "
            "call (each call must end within Dify's time limit). Send it in parts."
        )
    parts = pieces(text, settings.piece_chars)
    if not parts:
        raise SpeechTextError("The text has nothing to read aloud (it is empty or only punctuation).")
    chosen = settings.voice_for(voice)
    bodies = tuple({"model": model, **render(settings.body, {"text": part, "voice": chosen})} for part in parts)
    longest = max(range(len(parts)), key=lambda i: len(parts[i]))
    media.check(model, {k: v for k, v in bodies[longest].items() if k != "model"})
    return Plan(model, bodies, sum(len(part) for part in parts))


def stream(media: MediaClient, job_plan: Plan, settings: TtsSettings) -> Iterator[bytes]:
    """The audio of every piece, in order, as one stream."""
    started = time.monotonic()
    joiner = StreamJoiner(settings.audio_type)
    first_after = None
    sent = 0

    def synthesise(body: dict[str, Any]) -> bytes:
        return media.fetch_output(media.run("generateAudio", body))

    for audio in fan_out_in_order(synthesise, job_plan.bodies, settings.max_workers):
        for chunk in joiner.piece(audio):
            if first_after is None:
                first_after = time.monotonic() - started
            sent += len(chunk)
            yield chunk
    logger.info(
        "tts: model=%s pieces=%d chars=%d bytes=%d first_audio_s=%.2f total_s=%.2f",
        job_plan.model, len(job_plan.bodies), job_plan.chars, sent, first_after or 0.0, time.monotonic() - started,
    )  # fmt: skip
