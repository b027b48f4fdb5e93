"""FLAC: STREAMINFO gives the sample rate and the total number of samples; the last frame's
header says where the audio really ends, so a file cut short is found without decoding it."""

from __future__ import annotations

from models.audio_utils.source import Source
from provider.errors.tree import AudioError

MAX_BLOCKS = 128
TAIL_BYTES = 256 * 1024  # where the last frame header is looked for (a FLAC frame is far smaller)
_TRUNCATED = "The FLAC file is truncated (its audio ends before the length its header announces); upload it complete."


def is_flac(head: bytes) -> bool:
    return head[:4] == b"fLaC"


def _crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def _coded_number(data: bytes, offset: int) -> tuple[int, int] | None:
    """FLAC's UTF-8-like frame or sample number: (value, width)."""
    if offset >= len(data):
        return None
    first = data[offset]
    width = 1 if first < 0x80 else next((w for w in range(2, 8) if first >> (7 - w) == (0xFF >> (7 - w)) - 1), 0)
    if width == 0 or offset + width > len(data):
        return None
    value = first & (0x7F >> width) if width > 1 else first
    for byte in data[offset + 1 : offset + width]:
        if byte & 0xC0 != 0x80:
            return None
        value = (value << 6) | (byte & 0x3F)
    return value, width


def _frame_end(data: bytes, at: int, min_block: int) -> int | None:
    """The sample just past the frame whose header is at `at` (None when no valid header is there)."""
    head = data[at : at + 16]
    if len(head) < 6 or head[0] != 0xFF or head[1] & 0xFE != 0xF8:
        return None
    variable, size_code, rate_code = head[1] & 1, head[2] >> 4, head[2] & 0x0F
    if size_code == 0 or rate_code == 15 or head[3] & 1 or (head[3] >> 4) > 10:
        return None
    number = _coded_number(head, 4)
    if number is None:
        return None
    position = 4 + number[1]
    if size_code in (6, 7):
        extra = 1 if size_code == 6 else 2
        block = int.from_bytes(head[position : position + extra], "big") + 1
        position += extra
    else:
        block = 192 if size_code == 1 else 576 << (size_code - 2) if size_code <= 5 else 256 << (size_code - 8)
    position += {12: 1, 13: 2, 14: 2}.get(rate_code, 0)
    if position >= len(head) or _crc8(head[:position]) != head[position]:
        return None
    start = number[0] if variable else number[0] * min_block
    return start + block


def duration_s(source: Source) -> float | None:
    """The stream's length (None when neither header nor frames tell it); AudioError when the
    metadata or the audio is cut short."""
    offset, rate, total, min_block = 4, 0, 0, 0
    for _ in range(MAX_BLOCKS):
        header = source.read(offset, 4)
        if len(header) < 4:
            break
        last, kind, size = header[0] & 0x80, header[0] & 0x7F, int.from_bytes(header[1:4], "big")
        if offset + 4 + size > source.size:
            break
        if kind == 0 and size >= 34:  # STREAMINFO
            info = source.read(offset + 4, 18)
            min_block = int.from_bytes(info[0:2], "big")
            rate = int.from_bytes(info[10:13], "big") >> 4
            total = int.from_bytes(info[13:18], "big") & 0xFFFFFFFFF  # 36 bits
        offset += 4 + size
        if last:
            return _audio_length(source, offset, rate, total, min_block)
    raise AudioError("The FLAC file is truncated (its metadata is cut short); upload the complete file.")


def _audio_length(source: Source, audio_at: int, rate: int, total: int, min_block: int) -> float | None:
    if _frame_end(source.read(audio_at, 16), 0, min_block) is None:
        raise AudioError("The FLAC file holds no audio after its header (truncated or damaged).")
    if rate <= 0:
        raise AudioError("The FLAC file's STREAMINFO block is missing or has no sample rate.")
    tail_at = max(audio_at, source.size - TAIL_BYTES)
    tail = source.read(tail_at, source.size - tail_at)
    found = tail.rfind(b"\xff")
    while found >= 0:
        end = _frame_end(tail, found, min_block)
        if end is not None:
            if total and end < total:
                raise AudioError(_TRUNCATED)
            return (total or end) / rate
        found = tail.rfind(b"\xff", 0, found)
    return total / rate if total else None
