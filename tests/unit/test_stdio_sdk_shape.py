"""The stdin patch is applied only to the SDK it was written for; any other shape is left alone
(runtime/stdin_reader.py), so a newer SDK keeps its own reader instead of breaking."""

from __future__ import annotations

import sys

import pytest
from dify_plugin.core.server.stdio import request_reader

from runtime.stdin_reader import read_requests_in_larger_pieces


def _read(self: object) -> bytes:
    return b""


@pytest.mark.parametrize(
    "methods", [{}, {"_read_async": _read}, {"_read_stream": _read}], ids=["neither", "no-stream", "no-async"]
)
def test_an_sdk_reader_without_the_methods_replaced_is_not_patched(monkeypatch: pytest.MonkeyPatch, methods):
    other_reader = type("OtherReader", (), dict(methods))
    monkeypatch.setattr(request_reader, "StdioRequestReader", other_reader)
    assert read_requests_in_larger_pieces() is False
    assert {name for name in vars(other_reader) if name.startswith("_read")} == set(methods)


def test_an_sdk_without_the_stdio_reader_module_is_not_patched(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "dify_plugin.core.server.stdio.request_reader", None)
    assert read_requests_in_larger_pieces() is False
