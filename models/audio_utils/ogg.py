"""Ogg (Vorbis, Opus, FLAC or Speex inside): pages, and the length from the last granule position.

Every Ogg page states its own length, so walking the pages finds a file that was cut short;
the granule position of the last complete page is the stream's length in samples.
"""

from __future__ import annotations

import struct

from models.audio_utils.source import Source
from provider.errors.tree import AudioError

_NO_GRANULE = 0xFFFFFFFFFFFFFFFF


def is_ogg(head: bytes) -> bool:
    return head[:4] == b"OggS"


def _rate_and_skip(first_packet: bytes) -> tuple[int, int]:
    """Samples per second of the granule positions, and the samples to leave out (Opus pre-skip)."""
    if first_packet.startswith(b"OpusHead") and len(first_packet) >= 12:
        return 48000, struct.unpack_from("<H", first_packet, 10)[0]  # Opus always counts at 48 kHz
    if first_packet.startswith(b"\x01vorbis") and len(first_packet) >= 16:
        return struct.unpack_from("<I", first_packet, 12)[0], 0
    if first_packet.startswith(b"\x7fFLAC") and len(first_packet) >= 31:
        return int.from_bytes(first_packet[27:30], "big") >> 4, 0
    if first_packet.startswith(b"Speex   ") and len(first_packet) >= 40:
        return struct.unpack_from("<I", first_packet, 36)[0], 0
    raise AudioError("The Ogg file holds no audio stream the plugin knows (Opus, Vorbis, FLAC or Speex).")


def duration_s(source: Source) -> float:
    """The stream's length; AudioError when a page is cut short or damaged."""
    offset, rate, skip, last_granule, pages = 0, 0, 0, 0, 0
    while offset < source.size:
        header = source.read(offset, 27)
        if len(header) < 27 or header[:4] != b"OggS":
            if pages and len(header) < 27 and header == b"OggS"[: len(header)]:
                raise AudioError("The Ogg file is truncated (its last page is cut short); upload the complete file.")
            if pages:
                break  # trailing bytes after the last page
            raise AudioError("The Ogg file is damaged (no page at its start).")
        segments = header[26]
        table = source.read(offset + 27, segments)
        body = sum(table)
        if len(table) < segments or offset + 27 + segments + body > source.size:
            raise AudioError("The Ogg file is truncated (its last page is cut short); upload the complete file.")
        if pages == 0:
            rate, skip = _rate_and_skip(source.read(offset + 27 + segments, body))
        granule = struct.unpack_from("<Q", header, 6)[0]
        if granule != _NO_GRANULE:
            last_granule = granule
        pages += 1
        offset += 27 + segments + body
    if rate <= 0:
        raise AudioError("The Ogg file's stream header has no sample rate.")
    return max(0, last_granule - skip) / rate
