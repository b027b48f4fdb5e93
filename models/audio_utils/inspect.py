"""Is this audio a model can transcribe? Its format by content, its size, its length, its integrity.

Dify sends speech as bytes, and the SDK names its temporary file by sniffing the first bytes,
falling back to `.mp3` for anything it does not know: the name proves nothing, so the format is
read from the content here. Everything is checked before anything is uploaded or billed, and
the file is read in bounded pieces (source.py), never whole.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import BinaryIO

from models.audio_utils import flac, mp3, mp4, ogg, wav, webm
from models.audio_utils.info import DISPLAY, AudioInfo
from models.audio_utils.source import Source
from provider.errors.tree import AudioError

HEAD_BYTES = 4096
# Bytes between MP3 frames that are not frames: more than this share means a damaged file.
MAX_DAMAGED_SHARE = 0.10
_KNOWN = "MP3, WAV, M4A, WebM, Ogg or FLAC"


def sniff(source: Source) -> str | None:
    """The format of the audio by its first bytes, or None when it is none of the six."""
    head = source.read(0, HEAD_BYTES)
    if wav.is_wav(head):
        return "wav"
    if flac.is_flac(head):
        return "flac"
    if ogg.is_ogg(head):
        return "ogg"
    if mp4.is_mp4(head):
        return "m4a"
    if webm.is_webm(head):
        return "webm"
    start, end = mp3.audio_span(source)
    if mp3.find_first_frame(source, start, end) >= 0:
        return "mp3"
    return None


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def inspect_audio(
    file: BinaryIO | bytes, max_bytes: int, max_duration_s: float, accepted: Collection[str], model: str
) -> AudioInfo:
    """The audio's format, size and length; AudioError with a sentence a user can act on when
    it is empty, too large, not audio, in a format the model does not read, cut short or too long."""
    source = Source(file)
    if source.size == 0:
        raise AudioError("The audio is empty (0 bytes); record or upload it again.")
    if source.size > max_bytes:
        raise AudioError(
            f"The audio is {_megabytes(source.size)}; '{model}' takes at most {_megabytes(max_bytes)} per file. "
            "Send a shorter or more compressed recording."
        )
    kind = sniff(source)
    if kind is None:
        raise AudioError(f"The file is not audio the plugin can read (it is not {_KNOWN}).")
    if kind not in accepted:
        names = ", ".join(DISPLAY[f] for f in sorted(accepted))
        raise AudioError(
            f"'{model}' reads {names} audio; this file is {DISPLAY[kind]}. Convert it, or pick another model."
        )
    duration = _duration(kind, source)
    if duration is not None and duration <= 0:
        raise AudioError(f"The {DISPLAY[kind]} file holds no sound (0 s); record or upload it again.")
    if duration is not None and duration > max_duration_s:
        raise AudioError(
            f"The audio lasts {duration / 60:.1f} minutes; '{model}' takes at most {max_duration_s / 60:.0f} minutes "
            "per call through this plugin. Split the recording."
        )
    return AudioInfo(kind, source.size, duration if duration is not None else 0.0)


def _duration(kind: str, source: Source) -> float | None:
    if kind == "wav":
        return wav.layout(source).duration_s
    if kind == "flac":
        return flac.duration_s(source)
    if kind == "ogg":
        return ogg.duration_s(source)
    if kind == "m4a":
        return mp4.duration_s(source)
    if kind == "webm":
        return webm.duration_s(source)
    start, end = mp3.audio_span(source)
    first = mp3.find_first_frame(source, start, end)
    scan = mp3.scan(source, first, end)
    if scan.truncated_by:
        raise AudioError("The MP3 file is truncated (its last frame is cut short); upload the complete file.")
    if scan.skipped > MAX_DAMAGED_SHARE * (end - start):
        raise AudioError("The MP3 file is damaged (a large part of it is not MPEG audio).")
    return scan.duration_s
