"""MP3 frames, tags and the VBR header frame (models/audio_utils/mp3.py): every MPEG version and
layer gives its frame length and samples, tags at either end are left out, the first frame of a
run is found past junk, and a scan counts frames, skipped bytes and a cut last frame."""

from __future__ import annotations

import pytest

from models.audio_utils import mp3
from models.audio_utils.source import Source
from testkit.simulator.media_audio import FRAME_S, frames_for, id3v1_tag, id3v2_tag, mp3_file, mp3_frame


def header(b1: int, b2: int, b3: int = 0x00) -> bytes:
    return bytes([0xFF, b1, b2, b3])


@pytest.mark.parametrize(
    ("head", "frame"),
    [
        (header(0xFB, 0x90), mp3.Frame(417, 1152, 44100, 1, 3, False)),  # MPEG-1 layer III 128 kbit/s
        (header(0xFB, 0x92, 0xC0), mp3.Frame(418, 1152, 44100, 1, 3, True)),  # padded, mono
        (header(0xFB, 0x94), mp3.Frame(384, 1152, 48000, 1, 3, False)),  # 48 kHz
        (header(0xFB, 0x98), mp3.Frame(576, 1152, 32000, 1, 3, False)),  # 32 kHz
        (header(0xFF, 0x10), mp3.Frame(32, 384, 44100, 1, 1, False)),  # layer I: 4-byte slots
        (header(0xFF, 0x12), mp3.Frame(36, 384, 44100, 1, 1, False)),  # layer I padded: one slot more
        (header(0xFD, 0x10), mp3.Frame(104, 1152, 44100, 1, 2, False)),  # layer II
        (header(0xF7, 0x10), mp3.Frame(68, 384, 22050, 2, 1, False)),  # MPEG-2 layer I
        (header(0xF5, 0x10), mp3.Frame(52, 1152, 22050, 2, 2, False)),  # MPEG-2 layer II: 1152 samples
        (header(0xF3, 0x14, 0xC0), mp3.Frame(24, 576, 24000, 2, 3, True)),  # MPEG-2 layer III: half
        (header(0xE3, 0x18, 0xC0), mp3.Frame(72, 576, 8000, 25, 3, True)),  # MPEG-2.5
        (header(0xE3, 0xE0), mp3.Frame(72 * 160000 // 11025, 576, 11025, 25, 3, False)),  # the top bit rate
    ],
)
def test_every_version_and_layer_gives_its_frame_length_and_samples(head, frame):
    assert mp3.frame_of(head) == frame


@pytest.mark.parametrize(
    "head",
    [
        header(0xFB, 0x90)[:3],
        bytes([0xFE, 0xFB, 0x90, 0x00]),
        header(0xDB, 0x90),  # the sync bits are not all set
        header(0xEB, 0x90),  # MPEG version 01 (reserved)
        header(0xF9, 0x90),  # layer 00 (reserved)
        header(0xFB, 0x00),  # free format: no length in the header
        header(0xFB, 0xF0),  # bit rate index 15 (bad)
        header(0xFB, 0x9C),  # sample rate index 3 (reserved)
    ],
)
def test_bytes_that_are_not_a_frame_header_are_no_frame(head):
    assert mp3.frame_of(head) is None


def test_frames_of_one_stream_share_version_layer_and_rate_whatever_their_bit_rate():
    first = mp3.frame_of(header(0xFB, 0x90))
    assert first is not None
    assert first.same_stream(mp3.frame_of(header(0xFB, 0xA2, 0xC0)))  # type: ignore[arg-type]
    assert not first.same_stream(mp3.frame_of(header(0xFB, 0x94)))  # type: ignore[arg-type]
    assert not first.same_stream(mp3.frame_of(header(0xFD, 0x90)))  # type: ignore[arg-type]
    assert not first.same_stream(mp3.frame_of(header(0xF3, 0x90)))  # type: ignore[arg-type]


def test_an_id3v2_tag_is_measured_with_its_footer_and_a_bad_size_is_no_tag():
    tag = id3v2_tag("title")
    assert mp3.id3v2_size(Source(tag + b"rest"), 0) == len(tag)
    with_footer = tag[:5] + b"\x10" + tag[6:]
    assert mp3.id3v2_size(Source(with_footer), 0) == len(tag) + 10
    assert mp3.id3v2_size(Source(tag[:6] + b"\x80" + tag[7:]), 0) == 0
    assert mp3.id3v2_size(Source(tag[:9] + b"\x80" + tag[10:]), 0) == 0
    assert mp3.id3v2_size(Source(b"ID4" + tag[3:]), 0) == 0
    assert mp3.id3v2_size(Source(tag[:9]), 0) == 0
    assert mp3.id3v2_size(Source(b"xx" + tag), 2) == len(tag)
    synchsafe = b"ID3\x04\x00\x00" + bytes([1, 2, 3, 4])
    assert mp3.id3v2_size(Source(synchsafe), 0) == 10 + (1 << 21 | 2 << 14 | 3 << 7 | 4)


FRAMES = mp3_frame() * 10  # 96-byte MPEG-2 layer III frames


def test_the_audio_span_leaves_out_every_leading_id3v2_tag_and_an_id3v1_tag():
    data = id3v2_tag("one") + id3v2_tag("two") + FRAMES + id3v1_tag("title")
    start, end = mp3.audio_span(Source(data))
    assert data[start:end] == FRAMES


def ape_tag(items: bytes, with_header: bool) -> bytes:
    flags = b"\x00\x00\x00\xa0" if with_header else b"\x00\x00\x00\x00"
    footer = b"APETAGEX" + (2000).to_bytes(4, "little") + (len(items) + 32).to_bytes(4, "little")
    footer += (1).to_bytes(4, "little") + flags + bytes(8)
    header = b"APETAGEX" + footer[8:20] + b"\x00\x00\x00\xe0" + bytes(8) if with_header else b""
    return header + items + footer


@pytest.mark.parametrize("with_header", [False, True])
def test_an_ape_tag_at_the_end_is_left_out_with_or_without_its_header(with_header):
    data = FRAMES + ape_tag(b"item" * 10, with_header)
    assert mp3.audio_span(Source(data)) == (0, len(FRAMES))
    data_v1 = FRAMES + ape_tag(b"item" * 10, with_header) + id3v1_tag("t")
    assert mp3.audio_span(Source(data_v1)) == (0, len(FRAMES))


def test_tags_are_looked_for_only_where_they_fit():
    tag = id3v1_tag("t")
    assert mp3.audio_span(Source(tag)) == (0, 0), "a bare 128-byte ID3v1 tag"
    assert mp3.audio_span(Source(tag[1:])) == (0, 127)
    ape = ape_tag(b"", False)
    assert mp3.audio_span(Source(ape)) == (0, 0), "a bare 32-byte APE footer"
    assert mp3.audio_span(Source(ape[1:])) == (0, 31)
    lying = ape[:12] + (10**6).to_bytes(4, "little") + ape[16:]
    assert mp3.audio_span(Source(FRAMES + lying)) == (0, 0), "a size past the start gives an empty span"


def test_an_id3v2_tag_larger_than_the_file_leaves_an_empty_span():
    tag = b"ID3\x04\x00\x00\x00\x00\x7f\x7f"
    assert mp3.audio_span(Source(tag + FRAMES)) == (10 + 127 * 128 + 127, 10 + 127 * 128 + 127)


def info_frame(b1: int, b3: int, marker: bytes, at: int) -> bytes:
    frame = bytearray(header(b1, 0x90, b3) + bytes(413))
    frame[at : at + 4] = marker
    return bytes(frame)


@pytest.mark.parametrize(
    ("b1", "b3", "at"),
    [(0xFB, 0xC0, 4 + 17), (0xFB, 0x00, 4 + 32), (0xF3, 0xC0, 4 + 9), (0xF3, 0x00, 4 + 17)],
    ids=["mpeg1-mono", "mpeg1-stereo", "mpeg2-mono", "mpeg2-stereo"],
)
@pytest.mark.parametrize("marker", [b"Xing", b"Info"])
def test_a_xing_or_info_frame_is_found_after_the_side_information_of_its_kind(b1, b3, at, marker):
    data = info_frame(b1, b3, marker, at)
    frame = mp3.frame_of(data[:4])
    assert frame is not None
    assert mp3.is_vbr_header(Source(data), 0, frame)
    assert not mp3.is_vbr_header(Source(info_frame(b1, b3, marker, at + 1)), 0, frame)


def test_a_vbri_frame_is_found_at_its_fixed_place_and_only_layer_iii_has_one():
    data = info_frame(0xFB, 0x00, b"VBRI", 36)
    frame = mp3.frame_of(data[:4])
    assert frame is not None and mp3.is_vbr_header(Source(data), 0, frame)
    layer2 = header(0xFD, 0x90) + bytes(32) + b"Xing" + b"VBRI" * 30
    frame2 = mp3.frame_of(layer2[:4])
    assert frame2 is not None and not mp3.is_vbr_header(Source(layer2), 0, frame2)
    assert mp3.is_vbr_header(Source(b"junk" + data), 4, frame)


def test_the_first_frame_is_the_first_that_starts_a_run_of_three():
    junk = b"\xff\xf3\x00" + b"\xff" + bytes(20) + mp3_frame()[:50]  # false syncs, a frame cut short
    data = junk + FRAMES
    assert mp3.find_first_frame(Source(data), 0, len(data)) == len(junk)


def test_a_stream_of_one_or_two_frames_counts_when_it_ends_exactly_after_them():
    one = mp3_frame()
    assert mp3.find_first_frame(Source(one), 0, len(one)) == 0
    assert mp3.find_first_frame(Source(one * 2), 0, 2 * len(one)) == 0
    assert mp3.find_first_frame(Source(one + b"\0"), 0, len(one) + 1) == -1, "a lone frame followed by junk"
    assert mp3.find_first_frame(Source(one[:-1]), 0, len(one) - 1) == -1, "a lone frame cut short"


def test_frames_of_another_stream_do_not_make_a_run():
    other = header(0xFB, 0x90) + bytes(413)
    data = mp3_frame() + other * 3
    assert mp3.find_first_frame(Source(data), 0, len(data)) == 96


def test_the_first_frame_must_start_within_the_window():
    data = bytes(100) + FRAMES
    assert mp3.find_first_frame(Source(data), 0, len(data), window=101) == 100
    assert mp3.find_first_frame(Source(data), 0, len(data), window=100) == -1
    assert mp3.find_first_frame(Source(data), 0, 150) == -1, "the run must fit before the end"
    assert mp3.find_first_frame(Source(bytes(200)), 0, 200) == -1


def test_a_scan_counts_frames_and_samples_and_skips_an_info_frame():
    audio = mp3_file(2.0)
    source = Source(audio)
    start, end = mp3.audio_span(source)
    scan = mp3.scan(source, mp3.find_first_frame(source, start, end), end)
    assert (scan.frames, scan.samples, scan.sample_rate) == (frames_for(2.0), frames_for(2.0) * 576, 24000)
    assert (scan.truncated_by, scan.skipped) == (0, 0)
    assert scan.duration_s == pytest.approx(frames_for(2.0) * FRAME_S)


def test_only_the_first_frame_can_be_an_info_frame():
    info = mp3_frame(marker=b"Info")
    data = FRAMES[:96] + info + FRAMES[96:]
    assert mp3.scan(Source(data), 0, len(data)).frames == 11


def test_an_info_frame_alone_gives_a_rate_and_no_length():
    info = mp3_frame(marker=b"Info")
    scan = mp3.scan(Source(info), 0, len(info))
    assert (scan.frames, scan.sample_rate, scan.duration_s, scan.skipped) == (0, 24000, 0.0, 0)


def test_junk_between_frames_is_skipped_and_counted_and_a_cut_last_frame_measured():
    data = FRAMES[:288] + b"\x00" * 50 + FRAMES[288:] + FRAMES[:60]
    scan = mp3.scan(Source(data), 0, len(data))
    assert (scan.frames, scan.skipped, scan.truncated_by) == (11, 50, 36)
    offsets = [offset for offset, _ in mp3.frames(Source(data), 0, len(data))]
    assert offsets[:4] == [0, 96, 192, 338]


def test_trailing_junk_after_the_last_frame_is_skipped_bytes():
    data = FRAMES + b"\x00" * 30
    scan = mp3.scan(Source(data), 0, len(data))
    assert (scan.frames, scan.skipped, scan.truncated_by) == (10, 30, 0)


def test_junk_with_no_frame_after_it_ends_the_frames():
    data = FRAMES[:192] + bytes(mp3.RESYNC_WINDOW + 10) + FRAMES
    assert len(list(mp3.frames(Source(data), 0, len(data)))) == 2
    near = FRAMES[:192] + bytes(1000) + FRAMES
    assert len(list(mp3.frames(Source(near), 0, len(near)))) == 12


def test_no_sample_rate_means_no_length():
    assert mp3.Scan(0, 0, 0, 0, 0).duration_s == 0.0


def test_frames_resume_right_after_one_junk_byte_and_after_junk_longer_than_the_sniff_window():
    one_byte = FRAMES[:192] + b"\x00" + FRAMES[192:]
    assert [offset for offset, _ in mp3.frames(Source(one_byte), 0, len(one_byte))][:4] == [0, 96, 193, 289]
    long_gap = FRAMES[:192] + bytes(3 * mp3.SNIFF_WINDOW) + FRAMES
    assert len(list(mp3.frames(Source(long_gap), 0, len(long_gap)))) == 12
