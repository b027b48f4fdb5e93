"""The lengths and integrity of FLAC and Ogg audio, read from small files built here byte by byte
(models/audio_utils/flac.py, ogg.py): the length a user's recording really has, and a sentence
naming what is wrong with a cut or damaged one."""

from __future__ import annotations

import struct

import pytest

from models.audio_utils import flac, ogg
from models.audio_utils.source import Source
from provider.errors.tree import AudioError

# --- FLAC -------------------------------------------------------------------------------------


def crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def coded(number: int) -> bytes:
    """FLAC's UTF-8-like frame number."""
    if number < 0x80:
        return bytes([number])
    if number < 0x800:
        return bytes([0xC0 | number >> 6, 0x80 | number & 0x3F])
    return bytes([0xE0 | number >> 12, 0x80 | (number >> 6) & 0x3F, 0x80 | number & 0x3F])


def flac_frame(
    number: int, size_code: int = 12, rate_code: int = 9, variable: bool = False, extra: bytes = b""
) -> bytes:
    """A frame header (and a little body); size code 12 = 4096 samples, rate code 9 = 44.1 kHz."""
    head = bytes([0xFF, 0xF8 | variable, size_code << 4 | rate_code, 0x08]) + coded(number) + extra
    return head + bytes([crc8(head)]) + b"\x55" * 20  # a body that is not zeros: a CRC over its own CRC is 0


def streaminfo(rate: int = 16000, total: int = 16000, min_block: int = 4096) -> bytes:
    packed = rate << 44 | 0 << 41 | 15 << 36 | total
    return struct.pack(">HH", min_block, min_block) + bytes(6) + packed.to_bytes(8, "big") + bytes(16)


def block(kind: int, body: bytes, last: bool = False) -> bytes:
    return bytes([last << 7 | kind]) + len(body).to_bytes(3, "big") + body


def flac_file(frames: bytes, info: bytes | None = None, before: bytes = b"") -> bytes:
    return b"fLaC" + before + block(0, streaminfo() if info is None else info, last=True) + frames


def flac_length(data: bytes) -> float | None:
    return flac.duration_s(Source(data))


def test_a_flac_lasts_the_samples_its_header_counts_when_its_last_frame_reaches_them():
    # 16,000 samples at 16 kHz in 4,096-sample frames: the fourth frame (number 3) ends past them
    assert flac_length(flac_file(flac_frame(0) + flac_frame(1) + flac_frame(2) + flac_frame(3))) == 1.0


def test_a_flac_whose_last_frame_ends_before_the_counted_samples_is_truncated():
    with pytest.raises(AudioError) as caught:
        flac_length(flac_file(flac_frame(0) + flac_frame(1)))
    assert str(caught.value) == (
        "The FLAC file is truncated (its audio ends before the length its header announces); upload it complete."
    )


def test_a_flac_cut_inside_its_last_frame_header_is_truncated():
    cut_header = flac_frame(1, rate_code=13, extra=b"\x10\x00")[:7]  # everything but its CRC
    with pytest.raises(AudioError, match="its audio ends before the length its header announces"):
        flac_length(flac_file(flac_frame(0) + cut_header))


def test_a_flac_last_frame_ending_exactly_at_the_counted_samples_is_complete():
    info = streaminfo(rate=16000, total=3 * 4096)
    assert flac_length(flac_file(flac_frame(0) + flac_frame(1) + flac_frame(2), info)) == 3 * 4096 / 16000


def test_a_flac_without_a_sample_count_lasts_until_its_last_frame():
    info = streaminfo(rate=8192, total=0)
    assert flac_length(flac_file(flac_frame(0) + flac_frame(1), info)) == 1.0  # 2 x 4096 samples at 8192 Hz


def test_frame_numbers_count_samples_in_variable_block_streams_and_blocks_otherwise():
    info = streaminfo(rate=1000, total=0, min_block=100)
    assert flac_length(flac_file(flac_frame(0) + flac_frame(3), info)) == (3 * 100 + 4096) / 1000
    variable = flac_frame(0, variable=True) + flac_frame(120, variable=True)
    assert flac_length(flac_file(variable, info)) == (120 + 4096) / 1000


@pytest.mark.parametrize(
    ("size_code", "extra", "samples"),
    [
        (1, b"", 192),
        (2, b"", 576),
        (5, b"", 4608),
        (6, b"\x63", 100),
        (7, b"\x01\x00", 257),
        (8, b"", 256),
        (15, b"", 32768),
    ],
)
def test_every_block_size_code_gives_its_frame_length(size_code, extra, samples):
    info = streaminfo(rate=1000, total=0, min_block=0)
    frames = flac_frame(0, variable=True) + flac_frame(100, size_code, variable=True, extra=extra)
    assert flac_length(flac_file(frames, info)) == (100 + samples) / 1000


@pytest.mark.parametrize(("rate_code", "extra"), [(12, b"\x10"), (13, b"\x10\x00"), (14, b"\x10\x00")])
def test_frames_stating_their_own_sample_rate_are_read_past_it(rate_code, extra):
    info = streaminfo(rate=1000, total=0, min_block=0)
    frames = flac_frame(0, variable=True) + flac_frame(100, rate_code=rate_code, variable=True, extra=extra)
    assert flac_length(flac_file(frames, info)) == (100 + 4096) / 1000


def test_the_largest_one_byte_frame_number_is_read():
    info = streaminfo(rate=1000, total=0, min_block=0)
    assert flac_length(flac_file(flac_frame(0, variable=True) + flac_frame(0x7F, variable=True), info)) == 4.223


@pytest.mark.parametrize("number", [0x80, 200, 0x7FF, 0x800, 0xFFFF])
def test_frame_numbers_of_two_and_three_bytes_are_read(number):
    """A fixed-block FLAC past about 12 s numbers its frames with more than one byte."""
    info = streaminfo(rate=4096, total=0, min_block=4096)
    assert flac_length(flac_file(flac_frame(0) + flac_frame(number), info)) == number + 1


def test_a_long_flac_cut_in_half_is_truncated():
    info = streaminfo(rate=4096, total=300 * 4096, min_block=4096)  # 300 s announced
    half = b"".join(flac_frame(n) for n in (0, 148, 149))  # the last frame that arrived ends at 150 s
    with pytest.raises(AudioError):
        flac_length(flac_file(half, info))


def test_a_damaged_last_frame_header_is_passed_over_for_the_one_before():
    info = streaminfo(rate=1000, total=0, min_block=0)
    good = flac_frame(0, variable=True) + flac_frame(100, variable=True)
    broken = bytearray(flac_frame(120, variable=True))
    broken[5] ^= 0xFF  # its CRC no longer matches
    assert flac_length(flac_file(good + bytes(broken), info)) == (100 + 4096) / 1000


@pytest.mark.parametrize(
    "header",
    [
        bytes([0xFF, 0xF8, 0x09, 0x08, 0x00]),  # block size code 0 (reserved)
        bytes([0xFF, 0xF8, 0xCF, 0x08, 0x00]),  # sample rate code 15 (invalid)
        bytes([0xFF, 0xF8, 0xC9, 0x09, 0x00]),  # the reserved bit set
        bytes([0xFF, 0xF8, 0xC9, 0xB8, 0x00]),  # channel assignment 11 (reserved)
        bytes([0xFF, 0xFA, 0xC9, 0x08, 0x00]),  # not a frame sync code
        bytes([0xFE, 0xF8, 0xC9, 0x08, 0x00]),
        bytes([0xFF, 0xF8, 0xC9, 0x08, 0xFF]),  # no valid frame number
        bytes([0xFF, 0xF8, 0xC9, 0x08, 0x80]),  # a continuation byte where a number starts
        bytes([0xFF, 0xF8, 0xC9, 0x08, 0xC2, 0x00]),  # a continuation byte that is not one
        bytes([0xFF, 0xF8, 0xC9, 0x08, 0xE0, 0x80]),  # a number cut short
    ],
)
def test_bytes_that_are_not_a_frame_header_are_not_audio(header):
    frame = header + bytes([crc8(header)]) + b"\x55" * 20
    with pytest.raises(AudioError) as caught:
        flac_length(flac_file(frame))
    assert str(caught.value) == "The FLAC file holds no audio after its header (truncated or damaged)."


def test_reserved_channel_assignments_up_to_10_are_audio():
    header = bytes([0xFF, 0xF8, 0xC9, 0xA8, 0x00])  # channel assignment 10 (mid/side)
    info = streaminfo(rate=4096, total=0)
    assert flac_length(flac_file(header + bytes([crc8(header)]) + bytes(20), info)) == 1.0


def test_the_lowest_sample_rate_is_a_rate():
    assert flac_length(flac_file(flac_frame(0) + flac_frame(1), streaminfo(rate=1, total=0))) == 8192.0


def test_a_flac_without_a_sample_rate_is_refused():
    with pytest.raises(AudioError) as caught:
        flac_length(flac_file(flac_frame(0), streaminfo(rate=0)))
    assert str(caught.value) == "The FLAC file's STREAMINFO block is missing or has no sample rate."
    no_streaminfo = b"fLaC" + block(4, b"vorbis comment", last=True) + flac_frame(0)
    with pytest.raises(AudioError, match="STREAMINFO block is missing"):
        flac_length(no_streaminfo)


def test_metadata_before_streaminfo_is_passed_over_and_a_short_streaminfo_ignored():
    data = flac_file(flac_frame(0) + flac_frame(3), before=block(4, b"vorbis comment"))
    assert flac_length(data) == 1.0
    short = b"fLaC" + block(0, streaminfo()[:30]) + block(1, bytes(10), last=True) + flac_frame(0)
    with pytest.raises(AudioError, match="no sample rate"):
        flac_length(short)


@pytest.mark.parametrize("cut", [2, 4, 6, 10, 30])
def test_metadata_cut_short_is_refused(cut):
    data = flac_file(b"")[: 4 + cut]
    with pytest.raises(AudioError) as caught:
        flac_length(data)
    assert str(caught.value) == "The FLAC file is truncated (its metadata is cut short); upload the complete file."


def test_a_metadata_block_that_ends_exactly_at_the_end_of_the_file_is_not_cut():
    with pytest.raises(AudioError, match="no audio after its header"):
        flac_length(flac_file(b""))


def test_more_metadata_blocks_than_a_flac_has_is_refused():
    padding = b"".join(block(1, b"") for _ in range(flac.MAX_BLOCKS - 1))
    assert flac_length(flac_file(flac_frame(0) + flac_frame(3), before=padding)) == 1.0
    padding += block(1, b"")
    with pytest.raises(AudioError, match="metadata is cut short"):
        flac_length(flac_file(flac_frame(0) + flac_frame(3), before=padding))


def test_a_large_picture_block_is_passed_over():
    picture = block(6, bytes(70_000), last=True)
    data = b"fLaC" + block(0, streaminfo()) + picture + flac_frame(0) + flac_frame(3)
    assert flac_length(data) == 1.0


def test_junk_after_the_only_frame_does_not_hide_that_the_audio_ends_early():
    with pytest.raises(AudioError, match="its audio ends before"):
        flac_length(flac_file(flac_frame(0) + b"\xff\x00"))


def test_the_last_frame_is_looked_for_in_the_files_tail_only():
    info = streaminfo(rate=1000, total=0, min_block=0)
    body = flac_frame(0, variable=True) + flac_frame(7, variable=True) + bytes(flac.TAIL_BYTES - 30)
    assert flac_length(flac_file(body, info)) == (7 + 4096) / 1000, "the frame is 30 bytes into the tail"
    far = flac_frame(0, variable=True) + flac_frame(7, variable=True) + bytes(flac.TAIL_BYTES)
    assert flac_length(flac_file(far, info)) is None, "no frame in the tail and no count: unknown length"


def test_without_a_frame_in_the_tail_the_counted_samples_give_the_length():
    info = streaminfo(rate=16000, total=32000)
    assert flac_length(flac_file(flac_frame(0) + bytes(flac.TAIL_BYTES), info)) == 2.0


def test_the_first_frame_is_read_with_the_streams_block_size():
    assert flac.is_flac(b"fLaC\0") and not flac.is_flac(b"fLa")


# --- Ogg --------------------------------------------------------------------------------------


def page(body: bytes, granule: int, kind: int = 0) -> bytes:
    segments = [255] * (len(body) // 255) + [len(body) % 255]
    header = b"OggS" + bytes([0, kind]) + struct.pack("<QIII", granule, 1, 0, 0) + bytes([len(segments)])
    return header + bytes(segments) + body


def opus_head(pre_skip: int = 312) -> bytes:
    return b"OpusHead" + bytes([1, 1]) + struct.pack("<HIhB", pre_skip, 16000, 0, 0)


NO_GRANULE = 0xFFFFFFFFFFFFFFFF


def ogg_length(data: bytes) -> float:
    return ogg.duration_s(Source(data))


def test_an_opus_stream_lasts_its_last_granule_less_the_pre_skip_at_48_khz():
    data = page(opus_head(), 0, 2) + page(b"tags", 0) + page(b"a" * 300, 48312) + page(b"b" * 10, 96312, 4)
    assert ogg_length(data) == 2.0


def test_a_page_without_a_granule_position_keeps_the_last_one():
    data = page(opus_head(0), 0, 2) + page(b"a" * 300, 48000) + page(b"b" * 100, NO_GRANULE)
    assert ogg_length(data) == 1.0


@pytest.mark.parametrize(
    ("first", "granule", "length"),
    [
        (b"\x01vorbis" + bytes(5) + struct.pack("<I", 22050) + bytes(14), 44100, 2.0),
        (b"\x7fFLAC" + bytes(22) + (16000 << 4).to_bytes(3, "big") + bytes(10), 8000, 0.5),
        (b"Speex   " + bytes(28) + struct.pack("<I", 8000) + bytes(40), 8000, 1.0),
    ],
    ids=["vorbis", "flac", "speex"],
)
def test_vorbis_flac_and_speex_count_samples_at_their_own_rate(first, granule, length):
    assert ogg_length(page(first, 0, 2) + page(b"x" * 50, granule)) == length


@pytest.mark.parametrize(
    "first",
    [b"OpusHead\x01\x01", b"\x01vorbis" + bytes(8), b"\x7fFLAC" + bytes(25), b"Speex   " + bytes(31), b"\x80theora"],
)
def test_a_stream_header_too_short_or_unknown_is_no_audio_stream(first):
    with pytest.raises(AudioError) as caught:
        ogg_length(page(first, 0, 2) + page(b"x", 100))
    assert str(caught.value) == "The Ogg file holds no audio stream the plugin knows (Opus, Vorbis, FLAC or Speex)."


def test_the_shortest_stream_headers_are_read():
    assert ogg_length(page(opus_head(0)[:12], 0, 2) + page(b"x", 48000)) == 1.0
    vorbis = b"\x01vorbis" + bytes(5) + struct.pack("<I", 1000)
    assert ogg_length(page(vorbis, 0, 2) + page(b"x", 1000)) == 1.0
    flac_head = b"\x7fFLAC" + bytes(22) + (1000 << 4).to_bytes(3, "big") + b"\0"
    assert ogg_length(page(flac_head, 0, 2) + page(b"x", 1000)) == 1.0
    speex = b"Speex   " + bytes(28) + struct.pack("<I", 1000)
    assert ogg_length(page(speex, 0, 2) + page(b"x", 1000)) == 1.0


def test_a_stream_header_with_no_sample_rate_is_refused():
    vorbis = b"\x01vorbis" + bytes(5) + struct.pack("<I", 0) + bytes(14)
    with pytest.raises(AudioError) as caught:
        ogg_length(page(vorbis, 0, 2) + page(b"x", 100))
    assert str(caught.value) == "The Ogg file's stream header has no sample rate."


def test_a_pre_skip_longer_than_the_stream_gives_zero_not_a_negative_length():
    assert ogg_length(page(opus_head(40000), 0, 2) + page(b"x", 100)) == 0.0  # pre-skip is unsigned 16-bit


def test_a_stream_whose_pages_state_no_granule_lasts_nothing_and_a_rate_of_1_hz_is_a_rate():
    assert ogg_length(page(opus_head(0), NO_GRANULE, 2) + page(b"x", NO_GRANULE)) == 0.0
    vorbis = b"\x01vorbis" + bytes(5) + struct.pack("<I", 1) + bytes(14)
    assert ogg_length(page(vorbis, 0, 2) + page(b"x", 30)) == 30.0


TRUNCATED = "The Ogg file is truncated (its last page is cut short); upload the complete file."


@pytest.mark.parametrize("cut", [1, 10, 40, 200])
def test_a_last_page_cut_short_is_truncated(cut):
    data = page(opus_head(), 0, 2) + page(b"a" * 300, 48312)
    with pytest.raises(AudioError) as caught:
        ogg_length(data[:-cut])
    assert str(caught.value) == TRUNCATED


@pytest.mark.parametrize("tail", [b"O", b"Og", b"OggS"])
def test_the_start_of_a_next_page_cut_short_is_truncated(tail):
    data = page(opus_head(0), 0, 2) + page(b"a", 48000)
    with pytest.raises(AudioError) as caught:
        ogg_length(data + tail)
    assert str(caught.value) == TRUNCATED


def test_bytes_after_the_last_page_that_are_not_a_page_are_ignored():
    data = page(opus_head(0), 0, 2) + page(b"a", 48000)
    assert ogg_length(data + b"ID3 trailing junk that is longer than a page header") == 1.0
    assert ogg_length(data + b"junk") == 1.0


def test_a_file_not_starting_with_a_page_is_damaged():
    with pytest.raises(AudioError) as caught:
        ogg_length(b"OggX" + bytes(40))
    assert str(caught.value) == "The Ogg file is damaged (no page at its start)."
    with pytest.raises(AudioError, match="damaged"):
        ogg_length(b"OggS\0\0")


def test_ogg_is_known_by_its_capture_pattern():
    assert ogg.is_ogg(b"OggS\0") and not ogg.is_ogg(b"Ogg")
