"""The SDK's stdin reader, made faster for large requests: 1 MiB reads, one copy per line, same results."""

from __future__ import annotations

import json
import os
from typing import ClassVar

import pytest
from dify_plugin.core.server.stdio.request_reader import StdioRequestReader

from runtime import stdin_reader as stdio


@pytest.fixture(autouse=True, params=[1000, stdio.PARSE_BATCH_BYTES], ids=lambda size: f"batch={size}")
def _parse_batch_bytes(request, monkeypatch):
    """Long lines parsed in many small batches, and in batches of the real size."""
    monkeypatch.setattr(stdio, "PARSE_BATCH_BYTES", request.param)


@pytest.fixture(autouse=True)
def _sdk_reader_restored():
    """Each test starts from the SDK's own reader, whatever the previous one patched."""
    saved = StdioRequestReader._read_async, StdioRequestReader._read_stream
    yield
    StdioRequestReader._read_async, StdioRequestReader._read_stream = saved


def test_the_reader_reads_a_large_request_in_one_mebibyte_pieces(monkeypatch):
    reads: list[int] = []

    def fake_read(fd: int, size: int) -> bytes:
        reads.append((fd, size))
        return b"x" * size

    monkeypatch.setattr("gevent.os.tp_read", fake_read)
    read_fd, write_fd = os.pipe()
    monkeypatch.setattr(stdio.sys.stdin, "fileno", lambda: read_fd)
    try:
        assert stdio.read_requests_in_larger_pieces() is True
        assert len(StdioRequestReader._read_async(object())) == stdio.READ_BYTES
        assert reads == [(read_fd, 1024 * 1024)]
        assert stdio.fcntl.fcntl(read_fd, 1032) == stdio.READ_BYTES  # F_GETPIPE_SZ: the pipe grew
    finally:
        os.close(read_fd)
        os.close(write_fd)


FIELDS = ("session_id", "conversation_id", "message_id", "app_id", "endpoint_id", "event", "data", "context")


class _Exhausted(Exception):
    """Raised by the fake stdin when its pieces are used up (both readers otherwise read forever)."""


def _read_all(read_stream, pieces: list[bytes], monkeypatch) -> tuple[list[tuple], list[dict]]:
    """What a _read_stream implementation yields and answers for these stdin pieces."""
    from dify_plugin.core.server.stdio.response_writer import StdioResponseWriter

    errors: list[dict] = []
    monkeypatch.setattr(StdioResponseWriter, "error", lambda self, **kwargs: errors.append(kwargs))
    remaining = iter(pieces)

    class FakeReader(StdioRequestReader):
        def _read_async(self) -> bytes:
            try:
                return next(remaining)
            except StopIteration:
                raise _Exhausted from None

    reader = FakeReader()
    streams = []
    try:
        for stream in read_stream(reader):
            assert stream.reader is reader
            assert isinstance(stream.writer, StdioResponseWriter)
            streams.append(tuple(getattr(stream, field) for field in FIELDS))
    except _Exhausted:
        pass
    return streams, errors


def _request(session: str, **extra) -> bytes:
    data = {"action": "x", "temperature": 0.7, "blob": "A" * 3000}
    body = {"session_id": session, "event": "request", "data": data} | extra
    return json.dumps(body).encode()


def _pieces(stream: bytes, size: int) -> list[bytes]:
    return [stream[offset : offset + size] for offset in range(0, len(stream), size)]


STREAMS = {
    "one line per read": _request("a") + b"\n",
    "several lines, one read": _request("a")
    + b"\n"
    + _request("b", conversation_id="c", app_id="p", message_id="m", endpoint_id="e")
    + b"\n",
    "blank and padded lines": b"\n  \n" + b"  " + _request("a", context={"k": 1}) + b"  \n\n",
    "a line that is not JSON": b"{not json\n" + _request("a") + b"\n",
    "an unknown event": _request("a", event="nope") + b"\n" + _request("b") + b"\n",
    "no session id": b'{"event": "request", "data": {}}\n' + _request("b") + b"\n",
    "an unfinished last line": _request("a") + b"\n" + _request("b")[:100],
}


@pytest.mark.parametrize("size", [1, 7, 64, 4096, 1 << 20])
@pytest.mark.parametrize("name", sorted(STREAMS))
def test_the_faster_reader_yields_what_the_sdk_reader_yields(name, size, monkeypatch):
    sdk_read_stream = StdioRequestReader._read_stream
    pieces = [b"", *_pieces(STREAMS[name], size)]  # the SDK retries an empty read; so must we
    expected = _read_all(sdk_read_stream, pieces, monkeypatch)
    assert stdio.read_requests_in_larger_pieces() is True
    assert StdioRequestReader._read_stream is not sdk_read_stream
    actual = _read_all(StdioRequestReader._read_stream, pieces, monkeypatch)
    assert actual == expected
    assert expected[0] or expected[1]  # the case really produced something to compare


def _collect_lines(reads: list[bytes], incremental_from: int = stdio.INCREMENTAL_FROM_BYTES) -> list:
    """Every line complete_lines makes of these reads (a long line as its parsed value)."""
    remaining = iter(reads)

    def read() -> bytes:
        try:
            return next(remaining)
        except StopIteration:
            raise _Exhausted from None

    lines = []
    with pytest.raises(_Exhausted):
        for line in stdio.complete_lines(read, incremental_from):
            lines.append(line.value() if isinstance(line, stdio.IncrementalLine) else line)
    return lines


def test_lines_split_across_reads_are_joined_and_reads_holding_many_lines_are_split():
    assert _collect_lines([b"ab", b"", b"c\nd", b"e\n\nf\n", b"g"]) == [b"abc", b"de", b"", b"f"]


def test_a_line_read_whole_is_not_copied():
    line = b"x" * 1000
    reads = iter([line + b"\n"])
    first = next(stdio.complete_lines(lambda: next(reads)))
    assert first == line
    pieces = iter([line, b"\n"])
    assert next(stdio.complete_lines(lambda: next(pieces))) is line  # one piece: handed on as is


# --- long lines: parsed as their pieces arrive --------------------------------------------------
def _split(streams: tuple[list[tuple], list[dict]]) -> tuple[list[tuple], int]:
    """What was yielded, and how many lines were answered with an error (the texts differ by parser)."""
    return streams[0], len(streams[1])


@pytest.mark.parametrize("size", [7, 4096])
@pytest.mark.parametrize("name", sorted(STREAMS))
def test_long_lines_parsed_piece_by_piece_yield_what_the_sdk_reader_yields(name, size, monkeypatch):
    sdk_read_stream = StdioRequestReader._read_stream
    pieces = [b"", *_pieces(STREAMS[name], size)]
    expected = _read_all(sdk_read_stream, pieces, monkeypatch)
    monkeypatch.setattr(stdio, "INCREMENTAL_FROM_BYTES", 100)  # every request line here is longer
    assert stdio.read_requests_in_larger_pieces() is True
    actual = _read_all(StdioRequestReader._read_stream, pieces, monkeypatch)
    assert _split(actual) == _split(expected)


def test_only_lines_past_the_threshold_are_parsed_as_they_arrive():
    images = [{"type": "image", "data": "data:image/jpeg;base64," + "QUJD" * 250_000} for _ in range(3)]
    long_request = {"session_id": "s", "event": "request", "data": {"prompt_messages": [{"content": images}]}}
    long_line = json.dumps(long_request).encode()
    stream = b'{"short": 1}\n' + long_line + b'\n{"short": 2}\n'
    lines = _collect_lines(_pieces(stream, 65536), incremental_from=1_000_000)
    assert lines == [b'{"short": 1}', long_request, b'{"short": 2}']


def test_a_broken_long_line_is_reported_without_its_text_and_the_next_line_is_read():
    secret = "apikey-do-not-echo-0123456789"
    broken = b'{"credentials": {"api_key": "' + secret.encode() + b'"}, "data": "' + b"x" * 5000 + b'" oops}'
    remaining = iter([*_pieces(broken + b"\n" + b'{"ok": true}\n', 1000)])
    lines = stdio.complete_lines(lambda: next(remaining), incremental_from=2000)
    first = next(lines)
    with pytest.raises(ValueError) as raised:
        first.value()
    message = str(raised.value)
    assert message == f"a request line of {len(broken)} bytes cannot be read: lexical error: invalid char in json text."
    assert secret not in message and "oops" not in message and "\n" not in message
    assert next(lines) == b'{"ok": true}'


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b'{"a": [1, 2' + b" " * 3000, "parse error: premature EOF"),
        (b'{"a": 1} {"b": 2}' + b" " * 3000, "parse error: trailing garbage"),
        (b'{"a": "\xff' + b"x" * 3000 + b'"}', "lexical error: invalid bytes in UTF8 string."),
        (b" " * 3000, "parse error: premature EOF"),
    ],
    ids=["unfinished", "two values", "not UTF-8", "blank"],
)
def test_every_kind_of_broken_long_line_names_its_reason(line, reason):
    remaining = iter([line, b"\n"])
    parsed = next(stdio.complete_lines(lambda: next(remaining), incremental_from=1000))
    with pytest.raises(ValueError, match=f": {reason}$"):
        parsed.value()


def test_without_the_c_parser_long_lines_are_joined_and_parsed_whole(monkeypatch):
    sdk_read_stream = StdioRequestReader._read_stream
    pieces = _pieces(STREAMS["a line that is not JSON"], 64)
    expected = _read_all(sdk_read_stream, pieces, monkeypatch)
    monkeypatch.setattr(stdio, "INCREMENTAL_FROM_BYTES", 100)
    monkeypatch.setattr(stdio, "c_parser", lambda: None)
    assert stdio.read_requests_in_larger_pieces() is True
    assert _read_all(StdioRequestReader._read_stream, pieces, monkeypatch) == expected  # error texts too


@pytest.mark.parametrize("stdin_kind", ["a regular file", "a closed stream"])
def test_stdin_that_is_not_a_pipe_keeps_its_size_and_is_still_read_in_large_pieces(stdin_kind, monkeypatch, tmp_path):
    path = tmp_path / "stdin"
    path.write_bytes(b"")
    with path.open("rb") as file:
        if stdin_kind == "a regular file":
            monkeypatch.setattr(stdio.sys.stdin, "fileno", file.fileno)  # F_SETPIPE_SZ: OSError
        else:
            monkeypatch.setattr(stdio.sys.stdin, "fileno", lambda: (_ for _ in ()).throw(ValueError("closed")))
        assert stdio.read_requests_in_larger_pieces() is True


@pytest.mark.parametrize("method", ["_read_async", "_read_stream"])
def test_an_sdk_without_the_expected_reader_is_left_alone(method, monkeypatch):
    monkeypatch.setattr(StdioRequestReader, method, None)
    other = "_read_stream" if method == "_read_async" else "_read_async"
    before = getattr(StdioRequestReader, other)
    assert stdio.read_requests_in_larger_pieces() is False
    assert getattr(StdioRequestReader, other) is before and getattr(StdioRequestReader, method) is None


def test_a_parser_error_without_words_is_named_by_its_kind():
    assert stdio._reason(ValueError()) == "ValueError"
    assert stdio._reason(ValueError(b"lexical error: x\n   {quoted text}")) == "lexical error: x"


def test_a_long_line_whose_newline_comes_in_a_read_of_its_own_is_complete():
    value = {"session_id": "s", "blob": "A" * 500}
    # The newline starts the next read: the line's last piece is empty, which must not end the parse early.
    assert _collect_lines([json.dumps(value).encode(), b"\n"], incremental_from=100) == [value]


class _Upper:
    """A StringValues that keeps every string value upper-cased and records what it saw."""

    made: ClassVar[list[_Upper]] = []

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.checked: list = []
        _Upper.made.append(self)

    def keep(self, path: str, value: str) -> str:
        self.seen.append((path, value))
        return value.upper()

    def check(self, line) -> None:
        self.checked.append(line)
        if line.get("refuse"):
            raise ValueError("refused by its strings")


def test_each_long_line_passes_its_strings_through_a_new_filter_and_short_lines_do_not():
    _Upper.made = []
    long_value = {"session_id": "s", "data": {"text": "abc" * 1000, "n": [1, 2.5, None, True], "k": {"x": "y"}}}
    long_line = json.dumps(long_value).encode()
    stream = long_line + b'\n{"short": "abc"}\n' + long_line + b"\n"
    remaining = iter(_pieces(stream, 700))
    lines = stdio.complete_lines(lambda: next(remaining), incremental_from=1000, strings_for_line=_Upper)
    first, short, second = next(lines), next(lines), next(lines)
    assert short == b'{"short": "abc"}'
    upper = {"session_id": "S", "data": {"text": "ABC" * 1000, "n": [1, 2.5, None, True], "k": {"x": "Y"}}}
    assert first.value() == upper == second.value()
    assert len(_Upper.made) == 2
    assert _Upper.made[0].seen == [("session_id", "s"), ("data.text", "abc" * 1000), ("data.k.x", "y")]  # no keys
    assert _Upper.made[0].checked == [upper]


def test_a_long_line_its_filter_refuses_is_answered_as_an_error_and_the_next_line_is_read(monkeypatch):
    refused = json.dumps({"session_id": "s1", "event": "request", "data": {"b": "x" * 3000}, "refuse": 1}).encode()
    failing = json.dumps({"session_id": "s2", "event": "request", "data": {"boom": "x" * 3000}}).encode()
    pieces = _pieces(refused + b"\n" + failing + b"\n" + _request("ok") + b"\n", 1000)

    class Failing(_Upper):
        def keep(self, path: str, value: str) -> str:
            if path == "data.boom":
                raise RuntimeError("the filter broke")
            return value

    monkeypatch.setattr(stdio, "INCREMENTAL_FROM_BYTES", 2000)
    assert stdio.read_requests_in_larger_pieces(Failing) is True
    streams, errors = _read_all(StdioRequestReader._read_stream, pieces, monkeypatch)
    assert [stream[0] for stream in streams] == ["ok"]
    assert errors == [
        {"data": {"error": "refused by its strings"}},
        {"data": {"error": f"a request line of {len(failing)} bytes cannot be read: the filter broke"}},
    ]


def test_the_pieces_read_before_a_line_was_known_to_be_long_are_released_as_they_are_parsed():
    pieces = [b'{"a": "', b"x" * 100, b'", "b": [1, 2]}']
    line = stdio.IncrementalLine(pieces)
    assert pieces == []
    line.feed(b"  ")
    assert line.size == 124 and line.value() == {"a": "x" * 100, "b": [1, 2]}
    assert line._batch.closed  # the batch's memory is returned once the line is parsed
    assert line.value() == {"a": "x" * 100, "b": [1, 2]}  # and asking again gives the same
