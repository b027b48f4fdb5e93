"""FLAC: the STREAMINFO block gives the sample rate and the total number of samples."""

from __future__ import annotations

from models.audio_utils.source import Source
from provider.errors.tree import AudioError

MAX_BLOCKS = 128


def is_flac(head: bytes) -> bool:
    return head[:4] == b"fLaC"


def duration_s(source: Source) -> float | None:
    """The stream's length (None when the encoder did not record it); AudioError when the
    metadata is cut short or no audio follows it."""
    offset, rate, total = 4, 0, 0
    for _ in range(MAX_BLOCKS):
        header = source.read(offset, 4)
        if len(header) < 4:
            break
        last, kind, size = header[0] & 0x80, header[0] & 0x7F, int.from_bytes(header[1:4], "big")
        if offset + 4 + size > source.size:
            break
        if kind == 0 and size >= 34:  # STREAMINFO
            info = source.read(offset + 4, 18)
            rate = int.from_bytes(info[10:13], "big") >> 4
            total = int.from_bytes(info[13:18], "big") & 0xFFFFFFFFF  # 36 bits
        offset += 4 + size
        if last:
            frame = source.read(offset, 2)
            if len(frame) < 2 or frame[0] != 0xFF or frame[1] & 0xFE != 0xF8:
                raise AudioError("The FLAC file holds no audio after its header (truncated or damaged).")
            if rate <= 0:
                raise AudioError("The FLAC file's STREAMINFO block is missing or has no sample rate.")
            return total / rate if total else None  # 0: not known to the encoder (a live stream)
    raise AudioError("The FLAC file is truncated (its metadata is cut short); upload the complete file.")
