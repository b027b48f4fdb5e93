"""WAV (RIFF/WAVE): the `fmt ` and `data` chunks, for the length of a recording and for joining
synthesised pieces into one stream.

A WAV file is one header and one `data` chunk: two WAV files written one after the other play
as the first one only (players stop at the end of its `data`). Joined speech therefore gets one
header whose sizes say "until the end of the stream" (0xFFFFFFFF, as streaming servers write
it), followed by the PCM data of every piece (`streaming_header`, `pcm_of`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from models.audio_utils.source import Source
from provider.errors.tree import AudioError

# Sizes streaming writers put in a header when the length is not known yet.
UNKNOWN_SIZES = frozenset({0, 0xFFFFFFFF})
MAX_CHUNKS = 64  # chunks before `data` (LIST, fact, bext...); more is not a WAV file


@dataclass(frozen=True)
class WavLayout:
    fmt: bytes  # the `fmt ` chunk's body: format, channels, rate, byte rate, block align, bits
    data_offset: int
    data_size: int  # what the file really holds
    declared_size: int  # what the header says

    @property
    def byte_rate(self) -> int:
        return struct.unpack_from("<I", self.fmt, 8)[0]

    @property
    def duration_s(self) -> float:
        return self.data_size / self.byte_rate


def is_wav(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WAVE"


def layout(source: Source) -> WavLayout:
    """Where the PCM data is; AudioError when the file is damaged or cut short."""
    offset, fmt = 12, None
    for _ in range(MAX_CHUNKS):
        header = source.read(offset, 8)
        if len(header) < 8:
            break
        chunk_id, size = header[:4], struct.unpack("<I", header[4:])[0]
        body_at = offset + 8
        if chunk_id == b"fmt ":
            fmt = source.read(body_at, size)
            if size < 16 or len(fmt) < 16:
                raise AudioError("The WAV file's format header is cut short; record or export the audio again.")
        elif chunk_id == b"data":
            if fmt is None:
                break
            held = source.size - body_at
            declared = size
            if size in UNKNOWN_SIZES:  # written while recording: the data runs to the end of the file
                size = held
            elif size > held:
                raise AudioError(
                    f"The WAV file is truncated: its header announces {size} bytes of sound, the file holds {held}. "
                    "Upload the complete file."
                )
            wav = WavLayout(fmt, body_at, size, declared)
            if wav.byte_rate <= 0 or struct.unpack_from("<H", fmt, 2)[0] == 0:
                raise AudioError("The WAV file's format header is invalid (no channels or no byte rate).")
            return wav
        offset = body_at + size + (size & 1)  # chunks are padded to even sizes
    raise AudioError("The WAV file has no sound data (no 'data' chunk after its format header).")


def streaming_header(fmt: bytes) -> bytes:
    """A WAV header for PCM that follows until the end of the stream (its length not yet known)."""
    return (
        b"RIFF"
        + struct.pack("<I", 0xFFFFFFFF)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + (b"data" + struct.pack("<I", 0xFFFFFFFF))
    )


def pcm_of(audio: bytes) -> tuple[bytes, bytes]:
    """(fmt chunk body, PCM data) of one synthesised WAV piece."""
    wav = layout(Source(audio))
    return wav.fmt, audio[wav.data_offset : wav.data_offset + wav.data_size]
