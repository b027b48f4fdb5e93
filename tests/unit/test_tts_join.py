"""Pieces -> ONE stream that plays to the end, in chunks far below the daemon's line cap."""

from __future__ import annotations

import struct

import pytest

from models.audio_utils import mp3, wav
from models.audio_utils.join import CHUNK_BYTES, StreamJoiner
from models.audio_utils.source import Source
from provider.daemon import LINE_CAP_BYTES
from provider.errors.tree import ReplyError
from testkit.simulator.media_audio import FRAME_S, frames_for, mp3_file, wav_file


def joined(audio_type: str, pieces: list[bytes]) -> tuple[bytes, list[bytes]]:
    joiner = StreamJoiner(audio_type)
    chunks = [chunk for piece in pieces for chunk in joiner.piece(piece)]
    return b"".join(chunks), chunks


def test_mp3_pieces_become_one_run_of_frames_without_tags_or_info_frames():
    pieces = [mp3_file(seconds) for seconds in (1.0, 2.5, 0.7)]
    stream, _ = joined("mp3", pieces)
    assert b"ID3" not in stream and b"TAG" not in stream and b"Info" not in stream
    source = Source(stream)
    offsets = [offset for offset, _ in mp3.frames(source, 0, len(stream))]
    assert offsets[0] == 0, "the stream starts with a frame"
    assert len(offsets) == sum(frames_for(s) for s in (1.0, 2.5, 0.7)), "every sound frame of every piece, once"
    assert mp3.scan(source, 0, len(stream)).skipped == 0, "no bytes between frames"
    assert mp3.scan(source, 0, len(stream)).duration_s == pytest.approx(len(offsets) * FRAME_S)


def test_mp3_chunks_end_on_frame_boundaries_and_stay_far_below_the_line_cap():
    stream, chunks = joined("mp3", [mp3_file(600.0, bitrate_kbps=160)])  # 12 MB: ten minutes of speech
    assert len(chunks) > 20
    assert max(len(c) for c in chunks) <= CHUNK_BYTES
    assert 2 * CHUNK_BYTES + 200 < LINE_CAP_BYTES / 4, "hex doubles a chunk; its JSON line stays far under 5 MiB"
    position = 0
    for chunk in chunks:
        assert mp3.frame_of(chunk[:4]) is not None, "each chunk starts on a frame header"
        position += len(chunk)
    assert position == len(stream)


def test_a_cut_last_frame_is_left_out_so_the_next_piece_stays_aligned():
    whole = mp3_file(1.0)
    cut = whole[: -128 - 40]  # drop the ID3v1 tag and the end of the last frame
    stream, _ = joined("mp3", [cut, mp3_file(1.0)])
    source = Source(stream)
    scan = mp3.scan(source, 0, len(stream))
    assert scan.skipped == 0 and scan.truncated_by == 0
    assert scan.frames == 2 * frames_for(1.0) - 1


def test_wav_pieces_share_one_header_that_runs_to_the_end_of_the_stream():
    pieces = [wav_file(0.5), wav_file(1.25)]
    stream, chunks = joined("wav", pieces)
    assert stream.count(b"RIFF") == 1 and stream.count(b"WAVE") == 1
    layout = wav.layout(Source(stream))
    assert layout.declared_size == 0xFFFFFFFF, "players read a streamed WAV until its end"
    pcm = [piece[44:] for piece in pieces]
    assert stream[layout.data_offset :] == b"".join(pcm)
    assert layout.duration_s == pytest.approx(1.75, abs=0.001)
    assert max(len(c) for c in chunks) <= CHUNK_BYTES


def test_wav_pieces_in_different_formats_cannot_be_one_stream():
    other_rate = wav_file(0.5, rate=16000)
    joiner = StreamJoiner("wav")
    list(joiner.piece(wav_file(0.5)))
    with pytest.raises(ReplyError, match="different formats"):
        list(joiner.piece(other_rate))


@pytest.mark.parametrize(
    ("declared", "audio", "message"),
    [
        ("mp3", wav_file(0.2), "WAV audio where MP3"),
        ("wav", mp3_file(0.2), "not WAV"),
        ("mp3", b"<html>error</html>" * 20, "not MP3"),
        ("mp3", b"", "empty"),
    ],
)
def test_audio_in_another_format_than_declared_is_a_reply_error(declared, audio, message):
    with pytest.raises(ReplyError, match=message):
        list(StreamJoiner(declared).piece(audio))


def test_a_damaged_wav_piece_is_a_reply_error_not_the_users_fault():
    broken = wav_file(0.5)[:20] + struct.pack("<I", 10**9)
    with pytest.raises(ReplyError):
        list(StreamJoiner("wav").piece(broken))
