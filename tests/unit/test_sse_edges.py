"""SSE framing at the edges: the body's last bytes, non-SSE lines servers send, and the error sentences."""

from __future__ import annotations

import pytest

from models.llm.sse import SSEDecoder, SSEEvent, parse_data
from provider.errors.tree import ReplyError


def decode(*pieces: bytes) -> list[SSEEvent]:
    decoder = SSEDecoder()
    events = [event for piece in pieces for event in decoder.feed(piece)]
    return events + decoder.close()


def test_a_body_ending_in_a_lone_cr_keeps_the_data_exactly():
    assert decode(b"data: last  \r") == [SSEEvent("message", "last  ")]
    assert decode(b"data: MAX\r") == [SSEEvent("message", "MAX")]


def test_a_bare_json_body_without_a_final_newline_is_an_event():
    assert decode(b'{"choices": []}') == [SSEEvent("message", '{"choices": []}')]
    assert decode(b"data: a\n\n", b'{"b": 1}') == [SSEEvent("message", "a"), SSEEvent("message", '{"b": 1}')]


def test_bare_json_arrays_and_objects_are_message_events():
    assert decode(b'[{"a": 1}]\n{"b": 2}\n') == [SSEEvent("message", '[{"a": 1}]'), SSEEvent("message", '{"b": 2}')]


def test_a_json_looking_continuation_line_inside_an_event_is_not_a_bare_line():
    # After `data:` has begun an event, a line starting with `{` belongs to SSE's own rules (ignored).
    assert decode(b"data: x\n{not a field}\n\n") == [SSEEvent("message", "x")]


def test_llama_cpp_error_lines_are_error_events_at_once():
    # llama.cpp builds through 2025 send `error: {json}` on an HTTP 200 stream.
    body = b'data: {"a": 1}\n\nerror: {"code": 500, "message": "slot unavailable"}\n\n'
    assert decode(body) == [
        SSEEvent("message", '{"a": 1}'),
        SSEEvent("error", '{"code": 500, "message": "slot unavailable"}'),
    ]
    assert decode(b"error: {}\n", b"data: y\n\n")[0] == SSEEvent("error", "{}")


def test_an_empty_error_line_and_unknown_fields_are_ignored():
    assert decode(b"error:  \nfoo: bar\ndata: z\n\n") == [SSEEvent("message", "z")]


def test_non_utf8_data_is_refused_with_a_sentence():
    with pytest.raises(ReplyError) as raised:
        decode(b"data: \xc3\x28\n\n")
    assert str(raised.value) == "it sent bytes that are not UTF-8 text in its event stream"


def test_a_short_bad_event_is_quoted_whole_with_its_spacing_collapsed():
    with pytest.raises(ReplyError) as raised:
        list(parse_data("  not\t json  "))
    assert str(raised.value) == "one of its events is not valid JSON ('not json')"


def test_a_long_bad_event_is_quoted_to_sixty_characters():
    exactly_sixty = "x" * 60
    with pytest.raises(ReplyError) as raised:
        list(parse_data(exactly_sixty))
    assert str(raised.value) == f"one of its events is not valid JSON ('{exactly_sixty}')"
    with pytest.raises(ReplyError) as raised:
        list(parse_data("y" * 61))
    assert str(raised.value) == f"one of its events is not valid JSON ('{'y' * 57}...')"


def test_the_bad_line_of_a_multi_line_event_is_the_one_quoted():
    with pytest.raises(ReplyError) as raised:
        list(parse_data('{"a": 1}\n\n  bad   line  '))
    assert str(raised.value) == "one of its events is not valid JSON ('bad line')"
