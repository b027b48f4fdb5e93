"""The lengths and integrity of MPEG-4 and WebM audio, read from small files built here byte by
byte (models/audio_utils/mp4.py, webm.py): the length a user's recording really has, and a
sentence naming what is wrong with a cut or damaged one."""

from __future__ import annotations

import struct

import pytest

from models.audio_utils import mp4, webm
from models.audio_utils.source import Source
from provider.errors.tree import AudioError

# --- MPEG-4 -----------------------------------------------------------------------------------


def box(kind: bytes, *children: bytes) -> bytes:
    body = b"".join(children)
    return struct.pack(">I4s", 8 + len(body), kind) + body


def mvhd(scale: int, duration: int, version: int = 0) -> bytes:
    if version == 1:
        return box(b"mvhd", bytes([1, 0, 0, 0]) + bytes(16) + struct.pack(">IQ", scale, duration) + bytes(80))
    return box(b"mvhd", bytes(4) + bytes(8) + struct.pack(">II", scale, duration) + bytes(80))


def hdlr(handler: bytes) -> bytes:
    return box(b"hdlr", bytes(8) + handler + bytes(13))


FTYP = box(b"ftyp", b"M4A \0\0\0\0M4A isom")


def m4a(*boxes: bytes) -> bytes:
    return FTYP + b"".join(boxes)


def sound_moov(header: bytes) -> bytes:
    return box(b"moov", header, box(b"trak", box(b"mdia", hdlr(b"soun"))))


def mp4_length(data: bytes) -> float | None:
    return mp4.duration_s(Source(data))


def test_an_m4a_lasts_its_movie_duration_in_either_header_version():
    assert mp4_length(m4a(sound_moov(mvhd(1000, 2500)), box(b"mdat", b"x" * 100))) == 2.5
    assert mp4_length(m4a(box(b"mdat", b"x"), sound_moov(mvhd(48000, 96000, version=1)))) == 2.0


def test_a_fragmented_recording_without_a_duration_has_no_stated_length():
    assert mp4_length(m4a(sound_moov(mvhd(1000, 0)), box(b"mdat", b"x"))) is None
    assert mp4_length(m4a(sound_moov(mvhd(0, 100)), box(b"mdat", b"x"))) is None
    assert mp4_length(m4a(sound_moov(box(b"mvhd", bytes(19))), box(b"mdat", b"x"))) is None
    assert mp4_length(m4a(sound_moov(box(b"mvhd", bytes([1]) + bytes(30))), box(b"mdat", b"x"))) is None


def test_the_shortest_movie_headers_are_read():
    assert mp4_length(m4a(sound_moov(box(b"mvhd", bytes(12) + struct.pack(">II", 10, 20))), box(b"mdat"))) == 2.0
    version1 = box(b"mvhd", bytes([1]) + bytes(19) + struct.pack(">IQ", 10, 30))
    assert mp4_length(m4a(sound_moov(version1), box(b"mdat"))) == 3.0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            m4a(box(b"mdat", b"x")),
            "The MPEG-4 file has no track table ('moov'): the recording was not finished or the file is cut short.",
        ),
        (
            m4a(box(b"moov", mvhd(1000, 1000), box(b"trak", box(b"mdia", hdlr(b"vide")))), box(b"mdat")),
            "The MPEG-4 file has no sound track.",
        ),
        (m4a(sound_moov(mvhd(1000, 1000))), "The MPEG-4 file holds no media data ('mdat')."),
        (
            m4a(sound_moov(mvhd(1000, 1000)), box(b"mdat", b"x" * 100))[:-10],
            "The MPEG-4 file is truncated (a box runs past the end of the file); upload it complete.",
        ),
        (m4a(struct.pack(">I4s", 4, b"mdat")), "The MPEG-4 file is damaged (a box with an impossible size)."),
    ],
    ids=["no-moov", "no-sound", "no-mdat", "cut", "impossible"],
)
def test_unfinished_or_damaged_mpeg4_files_are_refused(data, message):
    with pytest.raises(AudioError) as caught:
        mp4_length(data)
    assert str(caught.value) == message


def test_sixty_four_bit_sizes_and_a_last_box_running_to_the_end_are_read():
    large = struct.pack(">I4sQ", 1, b"mdat", 16 + 5) + b"x" * 5
    assert mp4_length(m4a(sound_moov(mvhd(10, 10)), large)) == 1.0
    to_the_end = struct.pack(">I4s", 0, b"mdat") + b"x" * 50
    assert mp4_length(m4a(sound_moov(mvhd(10, 10)), to_the_end)) == 1.0
    with pytest.raises(AudioError, match="impossible size"):
        mp4_length(m4a(sound_moov(mvhd(10, 10)), struct.pack(">I4sQ", 1, b"mdat", 15) + b"x" * 5))


def test_sizes_past_two_gigabytes_are_boxes_running_past_the_end_not_impossible_sizes():
    for huge in (struct.pack(">I4s", 2**31 + 16, b"mdat"), struct.pack(">I4sQ", 1, b"mdat", 2**63 + 16)):
        with pytest.raises(AudioError, match="truncated"):
            mp4_length(m4a(sound_moov(mvhd(10, 10)), huge + b"x" * 20))
    empty_large = struct.pack(">I4sQ", 1, b"mdat", 16)
    assert mp4_length(m4a(sound_moov(mvhd(10, 10)), empty_large)) == 1.0


def test_a_movie_header_is_read_at_its_place_even_last_in_the_file_and_long():
    shortest = box(b"mvhd", bytes(12) + struct.pack(">II", 1000, 2500))  # its 20 bytes end the file
    assert mp4_length(m4a(box(b"mdat"), box(b"moov", box(b"trak", box(b"mdia", hdlr(b"soun"))), shortest))) == 2.5
    followed = box(b"mvhd", bytes(12) + struct.pack(">II", 1000, 2500) + b"\x01" + bytes(79))
    assert mp4_length(m4a(sound_moov(followed), box(b"mdat"))) == 2.5
    assert mp4_length(m4a(sound_moov(mvhd(1000, 2**31 + 5)), box(b"mdat"))) == (2**31 + 5) / 1000


def test_a_box_ending_exactly_at_the_end_of_its_parent_is_whole_and_trailing_bytes_are_ignored():
    assert mp4_length(m4a(sound_moov(mvhd(10, 10)), box(b"mdat", b"x")) + b"1234567") == 1.0


def test_a_track_table_too_large_for_audio_is_refused():
    huge = struct.pack(">I4s", 8 + mp4.MAX_MOOV + 1, b"moov") + bytes(mp4.MAX_MOOV + 1)
    with pytest.raises(AudioError) as caught:
        mp4_length(m4a(huge))
    assert str(caught.value) == "The MPEG-4 file's track table is too large for an audio file."
    fits = struct.pack(">I4s", 8 + mp4.MAX_MOOV, b"moov") + hdlr(b"soun") + bytes(mp4.MAX_MOOV - 33)
    assert mp4_length(m4a(fits, box(b"mdat"))) is None


def test_too_many_boxes_are_not_read():
    many = b"".join(box(b"free") for _ in range(mp4.MAX_BOXES - 3))
    assert mp4_length(m4a(many, sound_moov(mvhd(10, 10)), box(b"mdat"))) == 1.0
    with pytest.raises(AudioError, match="no media data"):
        mp4_length(m4a(many, sound_moov(mvhd(10, 10)), box(b"free"), box(b"mdat")))


def test_mpeg4_is_known_by_its_ftyp_box():
    assert mp4.is_mp4(FTYP) and not mp4.is_mp4(b"\0\0\0\x1cmoov")


# --- WebM -------------------------------------------------------------------------------------

UNKNOWN = b"\x01\xff\xff\xff\xff\xff\xff\xff"


def size(length: int) -> bytes:
    return bytes([0x80 | length]) if length < 0x7F else b"\x01" + length.to_bytes(7, "big")


def element(element_id: int, *children: bytes, unknown: bool = False) -> bytes:
    body = b"".join(children)
    identifier = element_id.to_bytes((element_id.bit_length() + 7) // 8, "big")
    return identifier + (UNKNOWN if unknown else size(len(body))) + body


def uint(element_id: int, value: int, width: int = 4) -> bytes:
    return element(element_id, value.to_bytes(width, "big"))


EBML_HEADER = element(webm.EBML, element(webm.DOCTYPE, b"webm"))
AUDIO_TRACK = element(webm.TRACKS, element(webm.TRACK_ENTRY, uint(webm.TRACK_TYPE, 2, 1)))


def simple_block(relative: int) -> bytes:
    return element(webm.SIMPLE_BLOCK, b"\x81" + struct.pack(">h", relative) + b"\x80" + b"opus")


def cluster(timecode: int, *blocks: bytes, unknown: bool = True) -> bytes:
    return element(webm.CLUSTER, uint(webm.TIMECODE, timecode), *blocks, unknown=unknown)


def recording(*parts: bytes, info: bytes = b"") -> bytes:
    return EBML_HEADER + element(webm.SEGMENT, info, AUDIO_TRACK, *parts, unknown=True)


def webm_length(data: bytes) -> float:
    return webm.duration_s(Source(data))


def test_a_live_recording_lasts_until_its_last_block():
    data = recording(cluster(0, simple_block(0), simple_block(980)), cluster(1000, simple_block(500), simple_block(20)))
    assert webm_length(data) == 1.5


def test_a_stated_duration_wins_in_its_time_scale():
    info = element(webm.INFO, uint(webm.TIMECODE_SCALE, 1000), element(webm.DURATION, struct.pack(">d", 2_500_000.0)))
    assert webm_length(recording(cluster(0, simple_block(0)), info=info)) == 2.5
    info = element(webm.INFO, element(webm.DURATION, struct.pack(">f", 1500.0)))
    assert webm_length(recording(cluster(0, simple_block(0)), info=info)) == 1.5


def test_a_duration_of_another_width_is_ignored_and_a_zero_time_scale_keeps_the_default():
    info = element(webm.INFO, uint(webm.TIMECODE_SCALE, 0), element(webm.DURATION, bytes(2)))
    assert webm_length(recording(cluster(0, simple_block(250)), info=info)) == 0.25


def test_blocks_in_block_groups_count_and_a_timecode_scale_scales_them():
    group = element(webm.BLOCK_GROUP, element(webm.BLOCK, b"\x81" + struct.pack(">h", 400) + b"\x00opus"))
    info = element(webm.INFO, uint(webm.TIMECODE_SCALE, 2_000_000))
    assert webm_length(recording(cluster(100, group), info=info)) == 1.0


def test_a_video_only_file_or_one_without_blocks_is_refused():
    video = EBML_HEADER + element(
        webm.SEGMENT,
        element(webm.TRACKS, element(webm.TRACK_ENTRY, uint(webm.TRACK_TYPE, 1, 1))),
        cluster(0, simple_block(10)),
        unknown=True,
    )
    with pytest.raises(AudioError) as caught:
        webm_length(video)
    assert str(caught.value) == "The WebM file has no audio track."
    with pytest.raises(AudioError) as caught:
        webm_length(recording(cluster(0)))
    assert str(caught.value) == "The WebM file holds no audio data (the recording is empty)."


def test_a_known_size_element_running_past_the_end_is_truncated():
    data = recording(cluster(0, simple_block(10), unknown=False))
    with pytest.raises(AudioError) as caught:
        webm_length(data[:-3])
    assert str(caught.value) == (
        "The WebM file is truncated (an element runs past the end of the file); upload it complete."
    )
    assert webm_length(data) == 0.01, "an element may end exactly at the end of the file"


def test_an_element_header_cut_at_the_end_is_truncated_and_unreadable_bytes_are_damage():
    data = recording(cluster(0, simple_block(10)))
    with pytest.raises(AudioError) as caught:
        webm_length(data + b"\x1f\x43")
    assert str(caught.value) == "The WebM file is truncated (its last element is cut short); upload it complete."
    with pytest.raises(AudioError) as caught:
        webm_length(data + b"\x00" * 20)
    assert str(caught.value) == "The WebM file is damaged (an element header cannot be read)."
    with pytest.raises(AudioError, match="damaged"):
        webm_length(b"\x00" * 4)


@pytest.mark.parametrize("tail", [b"\xe7", b"\xe7\x01"], ids=["no-size", "size-cut"])
def test_an_element_whose_size_is_cut_at_the_end_is_truncated(tail):
    with pytest.raises(AudioError) as caught:
        webm_length(recording(cluster(0, simple_block(10))) + tail)
    assert str(caught.value) == "The WebM file is truncated (its last element is cut short); upload it complete."


def test_a_zero_byte_where_a_size_belongs_is_damage():
    with pytest.raises(AudioError, match="an element header cannot be read"):
        webm_length(recording(cluster(0, simple_block(10))) + b"\xe7\x00" + bytes(10))


def test_block_times_count_from_zero():
    assert webm_length(recording(cluster(0, simple_block(0)))) == 0.0
    no_timecode = element(webm.CLUSTER, simple_block(500), unknown=True)
    assert webm_length(recording(no_timecode)) == 0.5


def test_an_unknown_size_on_an_element_that_cannot_have_one_is_damage():
    data = recording(element(webm.TIMECODE, b"\x01", unknown=True))
    with pytest.raises(AudioError) as caught:
        webm_length(data)
    assert str(caught.value) == "The WebM file is damaged (an element of unknown size that cannot have one)."


def test_a_block_with_an_unreadable_track_number_still_counts_as_audio():
    odd = element(webm.SIMPLE_BLOCK, b"\x00\x00\x00")
    assert webm_length(recording(cluster(0, simple_block(300), odd))) == 0.3


def test_a_negative_relative_timecode_does_not_shorten_the_recording():
    assert webm_length(recording(cluster(1000, simple_block(-200), simple_block(-500)))) == 0.8


def test_too_many_elements_stop_the_reading(monkeypatch):
    data = recording(cluster(0, simple_block(100)), cluster(1000, simple_block(100)))
    monkeypatch.setattr(webm, "MAX_ELEMENTS", 10)  # up to the second cluster's timecode
    assert webm_length(data) == 0.1, "the second cluster lies past the elements read"


def test_webm_is_known_by_its_ebml_header_naming_webm():
    assert webm.is_webm(EBML_HEADER)
    assert webm.is_webm(element(webm.EBML, element(webm.DOCTYPE, b"webm\0\0")))
    assert not webm.is_webm(element(webm.EBML, element(webm.DOCTYPE, b"matroska")))
    assert not webm.is_webm(element(webm.EBML, uint(0x4286, 1, 1)))
    assert not webm.is_webm(b"\x1a\x45\xdf\xa3\x42\x82")
    assert not webm.is_webm(b"\x1a\x45\xdf\xa3\x42\x82\x00webm")
    assert not webm.is_webm(b"RIFF" + EBML_HEADER)
    assert not webm.is_webm(element(webm.EBML, element(webm.DOCTYPE, b"webmX")))
    assert webm.is_webm(EBML_HEADER + b"\x42\x82\x81\x00" + bytes(100)), "the first DocType counts"
