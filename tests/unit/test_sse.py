"""The SSE decoder on framings real servers use (no network)."""

from __future__ import annotations

import pytest

from models.llm.sse import SSEDecoder, SSEEvent, parse_data
from provider.errors.tree import ReplyError


def decode(*pieces: bytes) -> list[SSEEvent]:
    decoder = SSEDecoder()
    events = [event for piece in pieces for event in decoder.feed(piece)]
    return events + decoder.close()


def datas(*pieces: bytes) -> list[str]:
    return [event.data for event in decode(*pieces)]


def test_lf_crlf_and_cr_line_endings_frame_the_same_events():
    for ending in (b"\n", b"\r\n", b"\r"):
        body = b"data: one" + ending + ending + b"data: two" + ending + ending
        assert datas(body) == ["one", "two"], ending


def test_a_crlf_split_between_two_reads_is_one_line_ending():
    assert datas(b"data: a\r", b"\ndata: b\r\n\r\n") == ["a\nb"]


def test_every_byte_boundary_gives_the_same_events():
    body = b'data: {"x": 1}\r\n\r\n: keep-alive\n\ndata:{"y":2}\n\nevent: error\ndata: {"e":3}\n\n'
    expected = decode(body)
    assert [e.data for e in expected] == ['{"x": 1}', '{"y":2}', '{"e":3}']
    assert expected[2].name == "error" and expected[0].name == "message"
    for cut in range(1, len(body)):
        assert decode(body[:cut], body[cut:]) == expected, cut


def test_only_one_space_after_the_colon_is_removed():
    assert datas(b"data:  two spaces\n\n") == [" two spaces"]
    assert datas(b"data:none\n\n") == ["none"]


def test_comments_ids_and_retries_are_not_data():
    assert datas(b": OPENROUTER PROCESSING\n\nid: 7\nretry: 3000\n\ndata: x\nid: 8\n\n") == ["x"]


def test_the_last_event_needs_no_blank_line():
    assert datas(b"data: last") == ["last"]
    assert datas(b"data: last\n") == ["last"]


def test_bare_json_lines_are_events():
    assert datas(b'{"a": 1}\n{"b": 2}\n') == ['{"a": 1}', '{"b": 2}']


def test_event_name_applies_to_its_event_only():
    events = decode(b"event: error\ndata: bad\n\ndata: good\n\n")
    assert [(e.name, e.data) for e in events] == [("error", "bad"), ("message", "good")]


def test_non_utf8_data_is_the_servers_fault_but_a_non_utf8_comment_is_skipped():
    assert datas(b": \xff\xfe\n\ndata: ok\n\n") == ["ok"]
    with pytest.raises(ReplyError, match="not UTF-8"):
        decode(b"data: \xff\xfe\n\n")


def test_a_utf8_character_split_across_reads_survives():
    snowman = "☃".encode()
    assert datas(b"data: " + snowman[:1], snowman[1:] + b"\n\n") == ["☃"]


def test_parse_data_reads_one_value_or_one_per_line():
    assert list(parse_data('{"a": 1}')) == [{"a": 1}]
    assert list(parse_data('{"a": 1}\n{"b": 2}')) == [{"a": 1}, {"b": 2}]
    assert list(parse_data("null")) == [None]


@pytest.mark.parametrize("data", ['{"a": ', "not json", '{"a": 1}\n{"b": '])
def test_parse_data_refuses_what_is_not_json_with_a_readable_sentence(data):
    with pytest.raises(ReplyError, match="not valid JSON") as raised:
        list(parse_data(data))
    assert "Error" not in str(raised.value)
