"""Synthesised pieces of one text -> ONE continuous audio stream, in chunks under the line cap.

Each chunk the TTS model yields becomes one stdout line of hex (twice its size) for Dify's
daemon, whose lines are capped at 5 MiB (provider/daemon.py): chunks are at most CHUNK_BYTES
(512 KiB -> about 1 MiB of hex). The pieces must play as one stream to the end:
- MP3: frames can follow each other across pieces; each piece's tags (ID3v2, ID3v1, APE) and its
  Xing/Info/VBRI frame (a frame count for that piece alone) are left out. Chunks end on frame
  boundaries.
- WAV: two files one after the other play as the first only, so the stream gets one header
  saying "until the end" and then the PCM data of every piece, which must share one format.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from models.audio_utils import mp3, wav
from models.audio_utils.source import Source
from provider.errors.tree import AudioError, ReplyError

logger = logging.getLogger(__name__)

CHUNK_BYTES = 512 * 1024
JOINABLE = ("mp3", "wav")


def _chunks(data: bytes | memoryview, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield bytes(data[start : start + size])


class StreamJoiner:
    """Feed it the pieces in order (`piece`); it yields the bytes of one stream."""

    def __init__(self, audio_type: str) -> None:
        if audio_type not in JOINABLE:
            raise ValueError(audio_type)
        self.audio_type = audio_type
        self._first_frame: mp3.Frame | None = None
        self._fmt: bytes | None = None

    def piece(self, audio: bytes) -> Iterator[bytes]:
        if not audio:
            raise ReplyError("the model returned an empty audio file")
        head = audio[:12]
        if self.audio_type == "mp3":
            if wav.is_wav(head):
                raise ReplyError("the model returned WAV audio where MP3 was expected (set the model's audio format)")
            yield from self._mp3(audio)
        else:
            if not wav.is_wav(head):
                raise ReplyError("the model returned audio that is not WAV where WAV was expected")
            yield from self._wav(audio)

    def _mp3(self, audio: bytes) -> Iterator[bytes]:
        source = Source(audio)
        start, end = mp3.audio_span(source)
        first = mp3.find_first_frame(source, start, end)
        if first < 0:
            raise ReplyError("the model returned audio that is not MP3")
        view = memoryview(audio)
        run_start = run_end = -1
        for number, (offset, frame) in enumerate(mp3.frames(source, first, end)):
            if offset + frame.length > end:
                break  # a frame cut short: leaving it out keeps the next piece's frames aligned
            if number == 0 and mp3.is_vbr_header(source, offset, frame):
                continue
            self._check_stream(frame)
            if offset != run_end or offset + frame.length - run_start > CHUNK_BYTES:
                if run_start >= 0:
                    yield bytes(view[run_start:run_end])
                run_start = offset
            run_end = offset + frame.length
        if run_start >= 0:
            yield bytes(view[run_start:run_end])

    def _check_stream(self, frame: mp3.Frame) -> None:
        if self._first_frame is None:
            self._first_frame = frame
        elif not frame.same_stream(self._first_frame):
            logger.warning(
                "tts: a piece came back at %d Hz after %d Hz; players may not follow the change",
                frame.sample_rate, self._first_frame.sample_rate,
            )  # fmt: skip
            self._first_frame = frame

    def _wav(self, audio: bytes) -> Iterator[bytes]:
        try:
            fmt, pcm = wav.pcm_of(audio)
        except AudioError as error:
            raise ReplyError(f"the model returned a damaged WAV file ({error})") from None
        if self._fmt is None:
            self._fmt = fmt
            yield wav.streaming_header(fmt)
        elif fmt != self._fmt:
            raise ReplyError("the model returned pieces of WAV audio in different formats; they cannot form one stream")
        yield from _chunks(memoryview(pcm))
