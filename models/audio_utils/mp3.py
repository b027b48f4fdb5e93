"""MP3 (MPEG audio layers I-III): frames, tags and the VBR header frame.

An MP3 stream is a run of self-delimiting frames (a 4-byte header gives each frame's length),
so frames from several files can be joined into one stream that plays to the end, once the
per-file extras are left out: ID3v2 tags at the start, ID3v1/APE tags at the end, and the
Xing/Info/VBRI frame whose frame count would describe the first piece only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from models.audio_utils.source import Source

# kbit/s by (MPEG version 1 or 2 [2.5 shares 2's table], layer)
_BITRATES = {
    (1, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (1, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (1, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (2, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SAMPLE_RATES = {1: (44100, 48000, 32000), 2: (22050, 24000, 16000), 25: (11025, 12000, 8000)}
_VERSIONS = {0: 25, 2: 2, 3: 1}  # header bits -> MPEG 2.5 (as 25), 2, 1; 1 is reserved
RESYNC_WINDOW = 64 * 1024  # how far past damaged bytes the next frame is looked for
SNIFF_WINDOW = 8 * 1024  # how far from the start (after ID3v2) the first frame may be


@dataclass(frozen=True)
class Frame:
    length: int
    samples: int
    sample_rate: int
    version: int
    layer: int
    mono: bool

    def same_stream(self, other: Frame) -> bool:
        return (self.version, self.layer, self.sample_rate) == (other.version, other.layer, other.sample_rate)


def frame_of(header: bytes) -> Frame | None:
    """The frame a 4-byte header describes, or None when these bytes are not a frame header."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return None
    version = _VERSIONS.get((header[1] >> 3) & 3)
    layer = 4 - ((header[1] >> 1) & 3)
    bitrate_index, rate_index = header[2] >> 4, (header[2] >> 2) & 3
    if version is None or layer == 4 or bitrate_index in (0, 15) or rate_index == 3:
        return None  # reserved values, or "free format" (no length in the header)
    bitrate = _BITRATES[(1 if version == 1 else 2, layer)][bitrate_index] * 1000
    sample_rate = _SAMPLE_RATES[version][rate_index]
    padding = (header[2] >> 1) & 1
    if layer == 1:
        length, samples = (12 * bitrate // sample_rate + padding) * 4, 384
    elif layer == 2 or version == 1:
        length, samples = 144 * bitrate // sample_rate + padding, 1152
    else:  # layer III of MPEG 2 / 2.5 carries half the samples
        length, samples = 72 * bitrate // sample_rate + padding, 576
    return Frame(length, samples, sample_rate, version, layer, (header[3] >> 6) == 3)


def id3v2_size(source: Source, offset: int) -> int:
    """Bytes taken by an ID3v2 tag at `offset` (0 when there is none)."""
    head = source.read(offset, 10)
    if len(head) < 10 or head[:3] != b"ID3" or any(b & 0x80 for b in head[6:10]):
        return 0
    size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
    return 10 + size + (10 if head[5] & 0x10 else 0)


def audio_span(source: Source) -> tuple[int, int]:
    """[start, end) of the frames: past leading ID3v2 tags, before ID3v1 / APE tags at the end."""
    start = 0
    while (tag := id3v2_size(source, start)) > 0:
        start += tag
    end = source.size
    if end - start >= 128 and source.read(end - 128, 3) == b"TAG":
        end -= 128
    footer = source.read(end - 32, 32) if end - start >= 32 else b""
    if footer[:8] == b"APETAGEX":
        end -= int.from_bytes(footer[12:16], "little") + (32 if footer[23] & 0x80 else 0)
    return start, max(start, end)


def is_vbr_header(source: Source, offset: int, frame: Frame) -> bool:
    """The first frame holds a Xing / Info / VBRI header (encoder data, no sound to speak of)."""
    if frame.layer != 3:
        return False
    side_info = (17 if frame.mono else 32) if frame.version == 1 else (9 if frame.mono else 17)
    return source.read(offset + 4 + side_info, 4) in (b"Xing", b"Info") or source.read(offset + 36, 4) == b"VBRI"


def _chain(source: Source, offset: int, end: int, count: int) -> Frame | None:
    """The frame at `offset` when `count` frames of one stream follow each other from there
    (fewer when the audio ends exactly after them)."""
    first = frame_of(source.read(offset, 4))
    frame, position = first, offset
    for _ in range(count):
        if frame is None or (first is not None and not frame.same_stream(first)):
            return None
        position += frame.length
        if position == end:
            return first
        if position > end:
            return None
        frame = frame_of(source.read(position, 4))
    return first


def find_first_frame(source: Source, start: int, end: int, window: int = SNIFF_WINDOW) -> int:
    """Offset of the first frame that starts a run of three, within `window` of `start`; -1 if none."""
    position = start
    limit = min(end, start + window)
    while position < limit:
        found = source.find(b"\xff", position, limit - position)
        if found < 0:
            return -1
        if _chain(source, found, end, 3) is not None:
            return found
        position = found + 1
    return -1


@dataclass(frozen=True)
class Scan:
    frames: int
    samples: int
    sample_rate: int
    truncated_by: int  # bytes missing from the last frame (0: complete)
    skipped: int  # bytes between frames that were not frames

    @property
    def duration_s(self) -> float:
        return self.samples / self.sample_rate if self.sample_rate else 0.0


def frames(source: Source, start: int, end: int) -> Iterator[tuple[int, Frame]]:
    """(offset, frame) of every frame in [start, end), re-synchronising over damaged bytes. The
    last frame may run past `end` (a cut file); the caller sees it by its length."""
    position = start
    while position < end:
        frame = frame_of(source.read(position, 4))
        if frame is None:
            position = find_first_frame(source, position + 1, end, RESYNC_WINDOW)
            if position < 0:
                return
            continue
        yield position, frame
        position += frame.length


def scan(source: Source, start: int, end: int) -> Scan:
    """Count the frames and samples of the stream in [start, end)."""
    count = samples = skipped = truncated = rate = 0
    expected = start
    for offset, frame in frames(source, start, end):
        skipped += offset - expected
        if count == 0 and is_vbr_header(source, offset, frame):
            expected = offset + frame.length
            rate = frame.sample_rate
            continue
        count, samples, rate = count + 1, samples + frame.samples, frame.sample_rate
        expected = offset + frame.length
        truncated = max(0, expected - end)
    skipped += max(0, end - expected)
    return Scan(count, samples, rate, truncated, skipped)
