"""The SDK's stdin reader is made to read 1 MiB at a time (every e2e test then reads through it)."""

from __future__ import annotations

import os

from dify_plugin.core.server.stdio.request_reader import StdioRequestReader

from models import stdio


def test_the_reader_reads_a_large_request_in_one_mebibyte_pieces(monkeypatch):
    original = StdioRequestReader._read_async
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
        StdioRequestReader._read_async = original
        os.close(read_fd)
        os.close(write_fd)
