"""MPEG-4 audio (M4A, and MP4 files with a sound track): boxes, the sound track, the length.

A file is a sequence of boxes (size + type); `moov` describes the tracks and holds the movie
header (`mvhd`: time scale and duration), `mdat` the media. A box that runs past the end of the
file means the file was cut short; recorders that are stopped abruptly leave no `moov`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from models.audio_utils.source import Source
from provider.errors.tree import AudioError

_CONTAINERS = frozenset({b"moov", b"trak", b"mdia"})
MAX_BOXES = 4096
MAX_MOOV = 16 * 1024 * 1024  # a moov larger than this is not an audio file's


def is_mp4(head: bytes) -> bool:
    return head[4:8] == b"ftyp"


def _boxes(source: Source, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, body start, body end) of each box in [start, end); AudioError when one is cut short."""
    offset = start
    for _ in range(MAX_BOXES):
        if offset + 8 > end:
            return
        header = source.read(offset, 16)
        size, kind = struct.unpack_from(">I4s", header)
        body = offset + 8
        if size == 1:  # 64-bit size follows the type
            size, body = struct.unpack_from(">Q", header, 8)[0], offset + 16
        elif size == 0:  # runs to the end of the file
            size = end - offset
        if size < body - offset:
            raise AudioError("The MPEG-4 file is damaged (a box with an impossible size).")
        if offset + size > end:
            raise AudioError("The MPEG-4 file is truncated (a box runs past the end of the file); upload it complete.")
        yield kind, body, offset + size
        offset += size


def duration_s(source: Source) -> float | None:
    """The movie's length (None when the header leaves it open, as fragmented recordings do);
    AudioError when there is no sound track or the file is cut short."""
    movie: float | None = None
    has_moov = has_sound = has_media = False
    for kind, body, end in _boxes(source, 0, source.size):
        if kind == b"mdat":
            has_media = True
        elif kind == b"moov":
            if end - body > MAX_MOOV:
                raise AudioError("The MPEG-4 file's track table is too large for an audio file.")
            movie, has_sound = _read_moov(source, body, end)
            has_moov = True
    if not has_moov:
        raise AudioError(
            "The MPEG-4 file has no track table ('moov'): the recording was not finished or the file is cut short."
        )
    if not has_sound:
        raise AudioError("The MPEG-4 file has no sound track.")
    if not has_media:
        raise AudioError("The MPEG-4 file holds no media data ('mdat').")
    return movie


def _read_moov(source: Source, start: int, end: int) -> tuple[float | None, bool]:
    movie: float | None = None
    has_sound = False
    pending = [(start, end)]
    while pending:
        first, last = pending.pop()
        for kind, body, box_end in _boxes(source, first, last):
            if kind in _CONTAINERS:
                pending.append((body, box_end))
            elif kind == b"mvhd":
                movie = _movie_duration(source.read(body, 32))
            elif kind == b"hdlr" and source.read(body + 8, 4) == b"soun":
                has_sound = True
    return movie, has_sound


def _movie_duration(mvhd: bytes) -> float | None:
    if len(mvhd) < 20:
        return None
    if mvhd[0] == 1:  # version 1: 64-bit times
        if len(mvhd) < 32:
            return None
        scale, duration = struct.unpack_from(">IQ", mvhd, 20)
    else:
        scale, duration = struct.unpack_from(">II", mvhd, 12)
    return duration / scale if scale and duration else None  # 0: fragmented, the length is not in moov
