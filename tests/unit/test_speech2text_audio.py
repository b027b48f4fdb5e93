"""Audio checked by its content before anything is uploaded or billed (models/audio_utils/inspect.py).

The fixtures in tests/data/audio are one 3.16 s recording (espeak-ng, converted with ffmpeg) in
the six formats: MP3, WAV, M4A (AAC), WebM (Opus, written as a live recorder does: unknown sizes,
no duration), Ogg (Opus), FLAC.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest

from models.audio_utils.info import FORMATS
from models.audio_utils.inspect import inspect_audio
from models.audio_utils.source import BLOCK
from provider.errors.tree import AudioError
from testkit.simulator.media_audio import mp3_file, wav_file

DATA = Path(__file__).resolve().parents[1] / "data" / "audio"
ALL = set(FORMATS)
MB = 1_000_000


def inspect(data: bytes, accepted=ALL, max_bytes=50 * MB, max_s=3600.0):
    return inspect_audio(io.BytesIO(data), max_bytes, max_s, accepted, "bytedance/seed-asr-2.0")


def fixture(kind: str) -> bytes:
    return (DATA / f"hello.{kind}").read_bytes()


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_each_format_is_known_by_its_content_with_its_length(kind):
    info = inspect(fixture(kind))
    assert info.format == kind
    assert info.duration_s == pytest.approx(3.16, abs=0.1)
    assert info.extension == FORMATS[kind][0] and info.mime_type == FORMATS[kind][1]


@pytest.mark.parametrize("kind", ["wav", "m4a", "ogg", "flac", "mp3", "webm"])
def test_a_file_cut_in_half_is_refused_as_truncated(kind):
    data = fixture(kind)
    with pytest.raises(AudioError, match=r"truncated|cut short"):
        inspect(data[: len(data) // 2 + 3])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"%PDF-1.7 a document, not a recording" * 50, "not audio"),
        (b"\x89PNG\r\n\x1a\n" + bytes(4000), "not audio"),
        (b"Hello, plain text" * 300, "not audio"),
        (bytes(10_000), "not audio"),
    ],
)
def test_empty_and_non_audio_files_are_refused(data, message):
    with pytest.raises(AudioError, match=message):
        inspect(data)


def test_the_sdk_naming_everything_mp3_changes_nothing_the_content_decides():
    with pytest.raises(AudioError, match="reads MP3, Ogg, WAV audio; this file is WebM"):
        inspect(fixture("webm"), accepted={"mp3", "wav", "ogg"})


def test_too_large_is_refused_before_the_content_is_read():
    class Unreadable(io.BytesIO):
        def read(self, *args):  # the size alone decides
            raise AssertionError("content read")

    with pytest.raises(AudioError, match=r"60.0 MB; 'bytedance/seed-asr-2.0' takes at most 50.0 MB"):
        inspect_audio(Unreadable(b"x" * 60 * MB), 50 * MB, 3600, ALL, "bytedance/seed-asr-2.0")


def test_too_long_is_refused_by_its_length():
    with pytest.raises(AudioError, match=r"lasts 2.0 minutes.*at most 1 minutes"):
        inspect(mp3_file(120.0), max_s=60.0)


def test_a_recording_with_no_sound_is_refused():
    header = wav_file(0.1)[:40] + struct.pack("<I", 0)
    with pytest.raises(AudioError, match="no sound"):
        inspect(header)


def test_a_wav_written_while_recording_runs_to_the_end_of_the_file():
    whole = wav_file(2.0)
    streamed = whole[:40] + struct.pack("<I", 0xFFFFFFFF) + whole[44:]
    assert inspect(streamed).duration_s == pytest.approx(2.0)


def test_an_mp3_with_a_damaged_middle_is_refused_and_a_little_junk_is_read_past():
    audio = mp3_file(10.0)
    assert inspect(audio[:2000] + b"\x00" * 300 + audio[2000:]).duration_s == pytest.approx(10.0, abs=0.1)
    middle = len(audio) // 2
    with pytest.raises(AudioError, match="damaged"):
        inspect(audio[:middle] + bytes(70_000) + audio[middle:])


def test_memory_stays_bounded_the_file_is_read_in_blocks():
    class Counting(io.BytesIO):
        largest = 0

        def read(self, size=-1):
            Counting.largest = max(Counting.largest, size if size >= 0 else 10**12)
            return super().read(size)

    audio = mp3_file(900.0)  # 15 minutes: 3.6 MB of frames
    info = inspect_audio(Counting(audio), 50 * MB, 3600, ALL, "m")
    assert info.duration_s == pytest.approx(900.0, abs=0.1)
    assert Counting.largest <= BLOCK, "never the whole file at once"


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_damaged_files_give_a_verdict_never_a_crash(kind):
    """Cut anywhere or with bytes overwritten, a file is either read or refused with AudioError."""
    import random

    rng = random.Random(kind)
    data = fixture(kind)
    for _ in range(150):
        broken = bytearray(data[: rng.randrange(1, len(data))] if rng.random() < 0.5 else data)
        for _ in range(rng.randrange(0, 6)):
            broken[rng.randrange(len(broken))] = rng.randrange(256)
        try:
            info = inspect(bytes(broken))
        except AudioError:
            continue
        assert info.duration_s >= 0 and info.format in FORMATS
