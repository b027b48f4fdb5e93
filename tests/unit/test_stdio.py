"""The SDK's stdin reader, made faster for large requests: 1 MiB reads, one copy per line, same results."""

from __future__ import annotations

import json
import os

import pytest
from dify_plugin.core.server.stdio.request_reader import StdioRequestReader

from models import stdio


@pytest.fixture(autouse=True)
def _sdk_reader_restored():
    """Each test starts from the SDK's own reader, whatever the previous one patched."""
    saved = StdioRequestReader._read_async, StdioRequestReader._read_stream
    yield
    StdioRequestReader._read_async, StdioRequestReader._read_stream = saved


def test_the_reader_reads_a_large_request_in_one_mebibyte_pieces(monkeypatch):
    reads: list[int] = []

    def fake_read(fd: int, size: int) -> bytes:
        reads.append(size)
        return b"x" * size

    monkeypatch.setattr("gevent.os.tp_read", fake_read)
    read_fd, write_fd = os.pipe()
    monkeypatch.setattr(stdio.sys.stdin, "fileno", lambda: read_fd)
    try:
        assert stdio.read_requests_in_larger_pieces() is True
        assert len(StdioRequestReader._read_async(object())) == stdio.READ_BYTES
        assert reads == [1024 * 1024]
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
    body = {"session_id": session, "event": "request", "data": {"action": "x", "blob": "A" * 3000}} | extra
    return json.dumps(body).encode()


def _pieces(stream: bytes, size: int) -> list[bytes]:
    return [stream[offset : offset + size] for offset in range(0, len(stream), size)]


STREAMS = {
    "one line per read": _request("a") + b"\n",
    "several lines, one read": _request("a") + b"\n" + _request("b", conversation_id="c", app_id="p") + b"\n",
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


def test_lines_split_across_reads_are_joined_and_reads_holding_many_lines_are_split():
    reads = iter([b"ab", b"", b"c\nd", b"e\n\nf\n", b"g"])

    def read() -> bytes:
        try:
            return next(reads)
        except StopIteration:
            raise _Exhausted from None

    lines = []
    with pytest.raises(_Exhausted):
        for line in stdio.complete_lines(read):
            lines.append(line)
    assert lines == [b"abc", b"de", b"", b"f"]


def test_a_line_read_whole_is_not_copied():
    line = b"x" * 1000
    reads = iter([line + b"\n"])
    first = next(stdio.complete_lines(lambda: next(reads)))
    assert first == line
    pieces = iter([line, b"\n"])
    assert next(stdio.complete_lines(lambda: next(pieces))) is line  # one piece: handed on as is
