"""The verdict on an upload (models/audio_utils/inspect.py: format by content, size, length, damage,
each refusal a sentence) and synthesised pieces joined into one stream (models/audio_utils/join.py:
chunk sizes, tags and gaps left out, a change of sample rate logged)."""

from __future__ import annotations

import io
import logging
import struct

import pytest

from models.audio_utils.inspect import inspect_audio, sniff
from models.audio_utils.join import CHUNK_BYTES, StreamJoiner
from models.audio_utils.source import Source
from provider.errors.tree import AudioError, ReplyError
from testkit.simulator.media_audio import id3v1_tag, id3v2_tag, mp3_file, mp3_frame, wav_file

ALL = {"mp3", "wav", "m4a", "webm", "ogg", "flac"}
MB = 1_000_000


def inspect(data: bytes, accepted: set[str] = ALL, max_bytes: int = 50 * MB, max_s: float = 3600.0):
    return inspect_audio(io.BytesIO(data), max_bytes, max_s, accepted, "m/asr")


def refusal(data: bytes, **limits) -> str:
    with pytest.raises(AudioError) as caught:
        inspect(data, **limits)
    return str(caught.value)


def box(kind: bytes, *children: bytes) -> bytes:
    body = b"".join(children)
    return struct.pack(">I4s", 8 + len(body), kind) + body


FRAGMENTED_M4A = (
    box(b"ftyp", b"M4A \0\0\0\0")
    + box(b"moov", box(b"mvhd", bytes(100)), box(b"trak", box(b"mdia", box(b"hdlr", bytes(8) + b"soun" + bytes(12)))))
    + box(b"mdat", b"x" * 10)
)
OGG_PAGE = b"OggS" + bytes(23)
WEBM_HEAD = b"\x1a\x45\xdf\xa3\x87\x42\x82\x84webm"


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (wav_file(0.1), "wav"),
        (b"fLaC" + bytes(40), "flac"),
        (OGG_PAGE, "ogg"),
        (FRAGMENTED_M4A, "m4a"),
        (WEBM_HEAD, "webm"),
        (mp3_file(0.5), "mp3"),
        (mp3_frame() * 3, "mp3"),
        (b"RIFF\0\0\0\0AVI " + bytes(100), None),
        (bytes(500), None),
    ],
)
def test_the_format_is_read_from_the_first_bytes(data, kind):
    assert sniff(Source(data)) == kind


def test_an_mp3_is_known_only_when_its_frames_start_near_the_beginning():
    assert sniff(Source(bytes(100) + mp3_frame() * 3)) == "mp3"
    assert sniff(Source(bytes(9000) + mp3_frame() * 3)) is None


def test_refusals_name_what_is_wrong_in_a_sentence():
    assert refusal(b"") == "The audio is empty (0 bytes); record or upload it again."
    assert (
        refusal(bytes(500)) == "The file is not audio the plugin can read (it is not MP3, WAV, M4A, WebM, Ogg or FLAC)."
    )
    assert refusal(wav_file(0.1), accepted={"flac", "m4a"}) == (
        "'m/asr' reads FLAC, M4A (MPEG-4 audio) audio; this file is WAV. Convert it, or pick another model."
    )
    assert refusal(b"x" * 1_750_000, max_bytes=MB) == (
        "The audio is 1.8 MB; 'm/asr' takes at most 1.0 MB per file. Send a shorter or more compressed recording."
    )
    assert refusal(wav_file(0.1)[:40] + struct.pack("<I", 0)) == (
        "The WAV file holds no sound (0 s); record or upload it again."
    )
    assert refusal(wav_file(90.0), max_s=60.0) == (
        "The audio lasts 1.5 minutes; 'm/asr' takes at most 1 minutes per call through this plugin. "
        "Split the recording."
    )


def test_a_file_of_exactly_the_largest_size_and_length_is_read():
    audio = wav_file(2.0)
    info = inspect(audio, max_bytes=len(audio), max_s=2.0)
    assert (info.format, info.size, info.duration_s) == ("wav", len(audio), 2.0)
    assert "at most" in refusal(audio, max_bytes=len(audio) - 1)


def test_a_recording_of_half_a_second_is_sound():
    assert inspect(wav_file(0.5)).duration_s == 0.5


def test_a_recording_whose_length_is_not_stated_is_read_as_of_unknown_length():
    info = inspect(FRAGMENTED_M4A, max_s=1.0)
    assert (info.format, info.duration_s, info.mime_type) == ("m4a", 0.0, "audio/mp4")


FRAME = mp3_frame()  # 96 bytes, 24 ms


def test_an_mp3_with_up_to_a_tenth_of_junk_is_read_and_more_is_damage():
    def with_junk(junk: int) -> bytes:
        return id3v2_tag("t") + FRAME * 45 + bytes(junk) + FRAME * 45 + id3v1_tag("t")

    assert inspect(with_junk(960)).duration_s == pytest.approx(90 * 0.024)
    assert refusal(with_junk(961)) == "The MP3 file is damaged (a large part of it is not MPEG audio)."


def test_an_mp3_cut_inside_its_last_frame_is_truncated():
    assert refusal(FRAME * 20 + FRAME[:50]) == (
        "The MP3 file is truncated (its last frame is cut short); upload the complete file."
    )


# --- joining ------------------------------------------------------------------------------------


def joined(audio_type: str, pieces: list[bytes]) -> list[bytes]:
    joiner = StreamJoiner(audio_type)
    return [chunk for piece in pieces for chunk in joiner.piece(piece)]


def test_only_mp3_and_wav_can_be_joined():
    with pytest.raises(ValueError, match="flac"):
        StreamJoiner("flac")


def test_chunks_of_mp3_frames_fill_exactly_the_chunk_size():
    frame = bytes([0xFF, 0xFF, 0x10, 0x00]) + bytes(28)  # MPEG-1 layer I: 32 bytes, so chunks fill exactly
    count = CHUNK_BYTES // len(frame)
    chunks = joined("mp3", [frame * (2 * count + 1)])
    assert [len(c) for c in chunks] == [CHUNK_BYTES, CHUNK_BYTES, 32]


def test_junk_between_frames_is_left_out_of_the_stream():
    chunks = joined("mp3", [FRAME * 5 + bytes(40) + FRAME * 5])
    assert b"".join(chunks) == FRAME * 10
    assert len(chunks) == 2, "a gap ends a chunk"


def test_only_a_pieces_first_frame_is_taken_for_an_info_frame():
    info = mp3_frame(marker=b"Info")
    stream = b"".join(joined("mp3", [info + FRAME * 3, FRAME + info + FRAME]))
    assert stream == FRAME * 4 + info + FRAME


def test_a_frame_that_ends_exactly_at_the_end_of_the_piece_is_kept():
    assert b"".join(joined("mp3", [FRAME * 3, FRAME * 3])) == FRAME * 6


AT_16K = bytes([0xFF, 0xF3, 0x48, 0xC0]) + bytes(140)  # MPEG-2 layer III, 16 kHz, 144 bytes


@pytest.mark.parametrize(
    "pieces",
    [[FRAME * 3, AT_16K * 4, AT_16K * 3, FRAME * 3], [FRAME * 3, AT_16K, FRAME * 3]],
    ids=["long", "one-frame"],
)
def test_a_change_of_sample_rate_between_pieces_is_logged_once_per_change(caplog, pieces):
    with caplog.at_level(logging.WARNING, logger="models.audio_utils.join"):
        stream = b"".join(joined("mp3", pieces))
    assert stream == b"".join(pieces)
    assert [r.getMessage() for r in caplog.records] == [
        "tts: a piece came back at 16000 Hz after 24000 Hz; players may not follow the change",
        "tts: a piece came back at 24000 Hz after 16000 Hz; players may not follow the change",
    ]


def test_wav_pieces_in_different_formats_are_refused_in_a_sentence():
    joiner = StreamJoiner("wav")
    list(joiner.piece(wav_file(0.1)))
    with pytest.raises(ReplyError) as caught:
        list(joiner.piece(wav_file(0.1, rate=16000)))
    assert str(caught.value) == (
        "the model returned pieces of WAV audio in different formats; they cannot form one stream"
    )


def test_wav_pieces_are_sent_after_one_header_in_chunks_of_the_chunk_size():
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
    pcm = bytes(range(256)) * ((2 * CHUNK_BYTES + 2) // 256) + b"\x01\x02"
    piece = b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVEfmt " + struct.pack("<I", 16) + fmt
    piece += b"data" + struct.pack("<I", len(pcm)) + pcm
    chunks = joined("wav", [piece, wav_file(0.001)])
    assert [len(c) for c in chunks[1:]] == [CHUNK_BYTES, CHUNK_BYTES, len(pcm) - 2 * CHUNK_BYTES, 16]
    assert chunks[0].startswith(b"RIFF\xff\xff\xff\xffWAVE") and b"".join(chunks[1:4]) == pcm


@pytest.mark.parametrize(
    ("declared", "audio", "message"),
    [
        ("mp3", b"", "the model returned an empty audio file"),
        ("mp3", wav_file(0.1), "the model returned WAV audio where MP3 was expected (set the model's audio format)"),
        ("wav", mp3_file(0.1), "the model returned audio that is not WAV where WAV was expected"),
        ("mp3", b"<html>busy</html>" * 10, "the model returned audio that is not MP3"),
        (
            "wav",
            wav_file(0.1)[:36] + b"LIST\x04\x00\x00\x00abcd",
            "the model returned a damaged WAV file (The WAV file has no sound data (no 'data' chunk after its "
            "format header).)",
        ),
    ],
)
def test_a_piece_the_model_got_wrong_is_a_reply_error_saying_what_came_back(declared, audio, message):
    with pytest.raises(ReplyError) as caught:
        joined(declared, [audio])
    assert str(caught.value) == message
    assert caught.value.__cause__ is None
