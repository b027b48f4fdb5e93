"""Real audio bytes for the simulated speech models, made here (no encoder, no fixture needed).

- MP3: MPEG-2 Layer III, 24 kHz mono, 32 kbit/s frames of 96 bytes whose side information is
  all zero: a frame every decoder plays as 24 ms of silence. A file gets what encoders add
  around the frames (an ID3v2 tag, a LAME-style "Info" frame, an ID3v1 tag), so joining
  pieces must really leave them out. `--bitrate 160` gives 480-byte frames (larger pieces).
- WAV: 16-bit mono PCM at 8 kHz, a quiet 400 Hz tone.
- `format_of`: the simulator's own reading of an uploaded file's format (by its first bytes).
"""

from __future__ import annotations

import math
import struct
from array import array

SAMPLE_RATE = 24000
SAMPLES_PER_FRAME = 576  # MPEG-2 Layer III
FRAME_S = SAMPLES_PER_FRAME / SAMPLE_RATE
# MPEG-2 Layer III bit rates (kbit/s) by header index.
_BITRATE_INDEX = {8: 1, 16: 2, 24: 3, 32: 4, 40: 5, 48: 6, 56: 7, 64: 8, 80: 9, 96: 10, 128: 12, 160: 14}


TAG_AT = 20  # where a frame carries its piece's tag: ancillary bytes, which decoders skip


def mp3_frame(bitrate_kbps: int = 32, marker: bytes = b"", tag: bytes = b"") -> bytes:
    """One silent frame; `marker` (e.g. b"Info") is written where a VBR header goes, `tag` (8
    bytes naming the piece, so a test can tell pieces apart in a joined stream) further on."""
    header = bytes([0xFF, 0xF3, (_BITRATE_INDEX[bitrate_kbps] << 4) | (1 << 2), 0xC0])
    length = 72 * bitrate_kbps * 1000 // SAMPLE_RATE
    body = bytearray(length - 4)
    body[9 : 9 + len(marker)] = marker  # after the 9 bytes of mono MPEG-2 side information
    body[TAG_AT - 4 : TAG_AT - 4 + len(tag)] = tag
    return header + bytes(body)


def tag_of(frame: bytes) -> bytes:
    return frame[TAG_AT : TAG_AT + 8]


def id3v2_tag(title: str) -> bytes:
    text = b"\x03" + title.encode("utf-8")[:200]
    frame = b"TIT2" + struct.pack(">I", len(text)) + b"\x00\x00" + text
    size = len(frame)
    synchsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    return b"ID3\x04\x00\x00" + synchsafe + frame


def id3v1_tag(title: str) -> bytes:
    return b"TAG" + title.encode("ascii", "replace")[:30].ljust(30, b"\0") + bytes(95)


def frames_for(seconds: float) -> int:
    return max(1, math.ceil(seconds / FRAME_S))


def mp3_file(seconds: float, title: str = "simulated speech", bitrate_kbps: int = 32, tag: bytes = b"") -> bytes:
    """An MP3 file as an encoder writes it: ID3v2, Info frame, the frames, ID3v1."""
    frames = mp3_frame(bitrate_kbps, tag=tag) * frames_for(seconds)
    return id3v2_tag(title) + mp3_frame(bitrate_kbps, b"Info") + frames + id3v1_tag(title)


def wav_file(seconds: float, rate: int = 8000) -> bytes:
    count = max(1, int(seconds * rate))
    period = rate // 400  # a 400 Hz tone: a whole number of samples per period at 8 kHz
    cycle = array("h", (int(2000 * math.sin(2 * math.pi * n / period)) for n in range(period))).tobytes()
    pcm = (cycle * (count // period + 1))[: count * 2]
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + len(pcm))
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", 16)
        + fmt
        + (b"data" + struct.pack("<I", len(pcm)) + pcm)
    )


def format_of(data: bytes) -> str | None:
    """The format of an uploaded file by its first bytes, as a speech service would sniff it."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:4] == b"fLaC":
        return "flac"
    if data[:4] == b"OggS":
        return "ogg"
    if data[4:8] == b"ftyp":
        return "m4a"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    return None
