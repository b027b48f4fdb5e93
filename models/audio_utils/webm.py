"""WebM (Matroska with DocType "webm"): what browsers record (MediaRecorder, Opus in WebM).

Elements are (ID, size, body) with variable-length integers. Recorders write the Segment and
its Clusters with an unknown size (they are still recording) and often no Duration; then the
length is found from the clusters: each Cluster's Timecode plus the relative timecode of its
last block. A known-size element that runs past the end of the file means a cut file.
"""

from __future__ import annotations

import struct

from models.audio_utils.source import Source
from provider.errors.tree import AudioError

EBML, SEGMENT, INFO, CLUSTER, TRACKS = 0x1A45DFA3, 0x18538067, 0x1549A966, 0x1F43B675, 0x1654AE6B
DOCTYPE, TIMECODE_SCALE, DURATION, TIMECODE = 0x4282, 0x2AD7B1, 0x4489, 0xE7
SIMPLE_BLOCK, BLOCK_GROUP, BLOCK, TRACK_ENTRY, TRACK_TYPE = 0xA3, 0xA0, 0xA1, 0xAE, 0x83
# Elements whose children are read; every other element is skipped whole.
_MASTERS = frozenset({SEGMENT, INFO, CLUSTER, TRACKS, TRACK_ENTRY, BLOCK_GROUP})
_AUDIO_TRACK = 2
MAX_ELEMENTS = 4_000_000  # a 50 MB file of 20 ms Opus blocks has about 400,000


def _vint(data: bytes, offset: int, keep_marker: bool) -> tuple[int, int, bool] | None:
    """(value, width, all-ones) of the variable-length integer at `offset`."""
    if offset >= len(data) or data[offset] == 0:
        return None
    width = 9 - data[offset].bit_length()
    if offset + width > len(data):
        return None
    value = int.from_bytes(data[offset : offset + width], "big")
    if not keep_marker:
        value &= (1 << (7 * width)) - 1
    return value, width, value == (1 << (7 * width)) - 1 and not keep_marker


def is_webm(head: bytes) -> bool:
    """An EBML header whose DocType is webm (the SDK's own test, plugin_executor._is_webm_header)."""
    if head[:4] != b"\x1a\x45\xdf\xa3":
        return False
    found = head.find(b"\x42\x82")
    if found < 0 or found + 3 > len(head):
        return False
    size = _vint(head, found + 2, keep_marker=False)
    return size is not None and head[found + 2 + size[1] : found + 2 + size[1] + size[0]].rstrip(b"\0") == b"webm"


def duration_s(source: Source) -> float:
    """The recording's length; AudioError when it is cut short or has no audio track."""
    scale, declared, cluster_time, last_time = 1_000_000, None, 0, 0
    has_audio = has_blocks = False
    offset, parsed = 0, 0
    while offset < source.size and parsed < MAX_ELEMENTS:
        head = source.read(offset, 12)
        element = _vint(head, 0, keep_marker=True)
        size = _vint(head, element[1], keep_marker=False) if element else None
        if element is None or size is None:
            if parsed and len(head) < 12:
                raise AudioError("The WebM file is truncated (its last element is cut short); upload it complete.")
            raise AudioError("The WebM file is damaged (an element header cannot be read).")
        element_id, length, unknown = element[0], size[0], size[2]
        body = offset + element[1] + size[1]
        parsed += 1
        if not unknown and body + length > source.size:
            raise AudioError(
                "The WebM file is truncated (an element runs past the end of the file); upload it complete."
            )
        if element_id in _MASTERS:
            offset = body  # read the children in place: a recorder leaves their sizes unknown
            continue
        if unknown:
            raise AudioError("The WebM file is damaged (an element of unknown size that cannot have one).")
        if element_id == TIMECODE_SCALE:
            scale = int.from_bytes(source.read(body, length), "big") or scale
        elif element_id == DURATION and length in (4, 8):
            declared = struct.unpack(">f" if length == 4 else ">d", source.read(body, length))[0]
        elif element_id == TIMECODE:
            cluster_time = int.from_bytes(source.read(body, length), "big")
        elif element_id == TRACK_TYPE and int.from_bytes(source.read(body, length), "big") == _AUDIO_TRACK:
            has_audio = True
        elif element_id in (SIMPLE_BLOCK, BLOCK):
            has_blocks = True
            track = _vint(source.read(body, 8), 0, keep_marker=False)
            if track is not None:
                relative = struct.unpack(">h", source.read(body + track[1], 2))[0]
                last_time = max(last_time, cluster_time + relative)
        offset = body + length
    if not has_audio:
        raise AudioError("The WebM file has no audio track.")
    if not has_blocks:
        raise AudioError("The WebM file holds no audio data (the recording is empty).")
    if declared:
        return declared * scale / 1e9
    return last_time * scale / 1e9
