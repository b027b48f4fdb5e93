"""Reading audio in bounded pieces (models/audio_utils/source.py) and the WAV layout
(models/audio_utils/wav.py): a file gives the same bytes as the same data held in memory, a
search finds a marker across block boundaries, and WAV headers that are damaged, cut or written
while recording are told apart with a sentence a user can act on."""

from __future__ import annotations

import io
import os
import random
import struct
import tempfile

import pytest

from models.audio_utils import wav
from models.audio_utils.source import BLOCK, Source
from provider.errors.tree import AudioError
from testkit.simulator.media_audio import wav_file

DATA = random.Random(7).randbytes(3 * BLOCK + 1234)


class Counting(io.BytesIO):
    """A file that records the size of every read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.sizes: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.sizes.append(size if size is not None else -1)
        return super().read(size)


def in_a_file(data: bytes) -> Source:
    return Source(io.BytesIO(data))


def test_reads_outside_the_data_give_nothing_and_reads_at_the_end_give_what_is_left():
    for source in (Source(b"abcdef"), in_a_file(b"abcdef")):
        assert source.size == 6
        assert source.read(-1, 2) == source.read(0, 0) == source.read(6, 1) == source.read(2, -3) == b""
        assert source.read(4, 10) == b"ef"
        assert source.read(0, 6) == b"abcdef"


def test_a_file_gives_the_same_bytes_as_memory_wherever_it_is_read():
    memory, file = Source(DATA), in_a_file(DATA)
    rng = random.Random(1)
    offsets = [0, BLOCK - 3, BLOCK, 2 * BLOCK - 1, len(DATA) - 5] + [rng.randrange(len(DATA)) for _ in range(40)]
    for offset in offsets:
        for count in (1, 4, 600, BLOCK + 10):
            assert file.read(offset, count) == memory.read(offset, count) == DATA[offset : offset + count]


def test_a_read_of_a_file_costs_at_most_one_block_of_memory_unless_more_is_asked():
    file = Counting(DATA)
    source = Source(file)
    source.read(10, 4)
    source.read(20, 4)  # from the block already held
    source.read(BLOCK + 100, 8)
    source.read(5, 2 * BLOCK)
    assert file.sizes == [BLOCK, BLOCK, 2 * BLOCK]


def test_reads_at_the_first_and_up_to_the_last_byte_of_the_held_block_do_not_read_again():
    file = Counting(DATA)
    source = Source(file)
    assert source.read(0, 4) == DATA[:4]
    assert source.read(0, 4) == DATA[:4]
    assert source.read(BLOCK - 4, 4) == DATA[BLOCK - 4 : BLOCK]
    assert file.sizes == [BLOCK]


@pytest.mark.parametrize("make", [Source, in_a_file], ids=["memory", "file"])
def test_a_marker_is_found_across_block_boundaries_and_only_within_the_limit(make):
    marker = b"\xffMARK"
    data = bytearray(DATA.replace(b"\xff", b"\x00"))
    data[BLOCK - 2 : BLOCK + 3] = marker  # straddles the first block boundary
    source = make(bytes(data))
    assert source.find(marker, 0, len(data)) == BLOCK - 2
    assert source.find(marker, 0, BLOCK + 3) == BLOCK - 2, "ends exactly at the limit"
    assert source.find(marker, 0, BLOCK + 2) == -1, "would end past the limit"
    assert source.find(marker, BLOCK - 1, len(data)) == -1, "starts before the search"
    data[2 * BLOCK + 10 : 2 * BLOCK + 15] = marker
    assert make(bytes(data)).find(marker, BLOCK, len(data) - BLOCK) == 2 * BLOCK + 10


def test_a_real_file_is_measured_without_reading_it_and_a_stream_without_moving_it():
    with tempfile.TemporaryFile() as file:
        file.write(DATA)
        file.seek(0)
        assert Source(file).size == len(DATA)
    stream = io.BytesIO(DATA)
    stream.seek(11)
    assert Source(stream).size == len(DATA)
    assert stream.tell() == 11


def test_a_file_without_a_descriptor_is_measured_by_seeking():
    class NoDescriptor(io.BytesIO):
        def fileno(self) -> int:
            raise AttributeError("fileno")

    assert Source(NoDescriptor(b"x" * 1000)).size == 1000
    reader, writer = os.pipe()  # a descriptor fstat measures as 0: the size really comes from fstat
    try:
        with open(reader, "rb", closefd=False) as pipe:
            assert Source(pipe).size == 0
    finally:
        os.close(reader)
        os.close(writer)


# --- WAV --------------------------------------------------------------------------------------


def chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def riff(*chunks: bytes) -> bytes:
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


FMT = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
PCM = bytes(16000)  # one second


def test_a_wav_is_known_by_riff_and_wave():
    assert wav.is_wav(riff(chunk(b"fmt ", FMT)))
    assert not wav.is_wav(b"RIFF\0\0\0\0AVI ")
    assert not wav.is_wav(b"RIFX\0\0\0\0WAVE")


def test_chunks_before_the_sound_are_skipped_also_at_odd_sizes():
    audio = riff(chunk(b"fmt ", FMT), chunk(b"LIST", b"odd"), chunk(b"fact", b"1234"), chunk(b"data", PCM))
    layout = wav.layout(Source(audio))
    assert layout.fmt == FMT
    assert (layout.data_offset, layout.data_size, layout.declared_size) == (len(audio) - len(PCM), len(PCM), len(PCM))
    assert layout.duration_s == 1.0
    assert wav.pcm_of(audio) == (FMT, PCM)


def test_a_fmt_chunk_longer_than_16_bytes_is_kept_whole():
    extended = FMT + struct.pack("<H", 0)
    assert wav.layout(Source(riff(chunk(b"fmt ", extended), chunk(b"data", PCM)))).fmt == extended


@pytest.mark.parametrize("declared", [0, 0xFFFFFFFF])
def test_a_wav_written_while_recording_runs_to_the_end_of_the_file(declared):
    audio = riff(chunk(b"fmt ", FMT)) + b"data" + struct.pack("<I", declared) + PCM[:8000]
    layout = wav.layout(Source(audio))
    assert (layout.data_size, layout.declared_size, layout.duration_s) == (8000, declared, 0.5)


def test_a_wav_whose_sound_is_cut_short_says_how_much_is_missing():
    audio = riff(chunk(b"fmt ", FMT), chunk(b"data", PCM))[:-6000]
    with pytest.raises(AudioError) as caught:
        wav.layout(Source(audio))
    assert str(caught.value) == (
        "The WAV file is truncated: its header announces 16000 bytes of sound, the file holds 10000. "
        "Upload the complete file."
    )
    exactly = riff(chunk(b"fmt ", FMT), chunk(b"data", PCM))
    assert wav.layout(Source(exactly)).data_size == 16000, "the data may end exactly at the end of the file"


@pytest.mark.parametrize(
    ("audio", "message"),
    [
        (riff(chunk(b"fmt ", FMT[:14]), chunk(b"data", PCM)), "format header is cut short"),
        (riff(chunk(b"fmt ", FMT))[:30], "format header is cut short"),
        (riff(chunk(b"data", PCM), chunk(b"fmt ", FMT)), "no sound data"),
        (riff(chunk(b"fmt ", FMT)), "no sound data"),
        (riff(chunk(b"fmt ", FMT), chunk(b"LIST", b"x" * 10)), "no sound data"),
        (riff(chunk(b"fmt ", FMT[:8] + bytes(4) + FMT[12:]), chunk(b"data", PCM)), "invalid"),
        (riff(chunk(b"fmt ", FMT[:2] + bytes(2) + FMT[4:]), chunk(b"data", PCM)), "invalid"),
    ],
    ids=["short-fmt", "cut-fmt", "data-first", "no-data", "only-list", "no-byte-rate", "no-channels"],
)
def test_damaged_wav_headers_are_refused(audio, message):
    with pytest.raises(AudioError, match=message):
        wav.layout(Source(audio))


def test_the_format_headers_refusals_read_as_sentences():
    with pytest.raises(AudioError) as caught:
        wav.layout(Source(riff(chunk(b"fmt ", FMT[:14]), chunk(b"data", PCM))))
    assert str(caught.value) == "The WAV file's format header is cut short; record or export the audio again."
    with pytest.raises(AudioError) as caught:
        wav.layout(Source(riff(chunk(b"fmt ", FMT))))
    assert str(caught.value) == "The WAV file has no sound data (no 'data' chunk after its format header)."
    with pytest.raises(AudioError) as caught:
        wav.layout(Source(riff(chunk(b"fmt ", FMT[:8] + bytes(4) + FMT[12:]), chunk(b"data", PCM))))
    assert str(caught.value) == "The WAV file's format header is invalid (no channels or no byte rate)."


def test_more_chunks_before_the_sound_than_a_wav_has_is_not_a_wav():
    many = [chunk(b"junk", b"") for _ in range(wav.MAX_CHUNKS - 2)]
    assert wav.layout(Source(riff(chunk(b"fmt ", FMT), *many, chunk(b"data", PCM)))).data_size == len(PCM)
    too_many = [chunk(b"junk", b"") for _ in range(wav.MAX_CHUNKS - 1)]
    with pytest.raises(AudioError, match="no sound data"):
        wav.layout(Source(riff(chunk(b"fmt ", FMT), *too_many, chunk(b"data", PCM))))


def test_the_streaming_header_says_until_the_end_and_is_read_back_as_such():
    header = wav.streaming_header(FMT)
    assert header == (b"RIFF\xff\xff\xff\xffWAVEfmt " + struct.pack("<I", 16) + FMT + b"data\xff\xff\xff\xff")
    layout = wav.layout(Source(header + PCM))
    assert (layout.fmt, layout.data_size, layout.declared_size) == (FMT, len(PCM), 0xFFFFFFFF)


def test_the_simulators_wav_is_read_with_its_length():
    assert wav.layout(Source(wav_file(1.5))).duration_s == pytest.approx(1.5)


def test_the_slowest_byte_rate_is_still_a_rate():
    slow = struct.pack("<HHIIHH", 1, 1, 1, 1, 1, 8)
    assert wav.layout(Source(riff(chunk(b"fmt ", slow), chunk(b"data", bytes(90))))).duration_s == 90.0
