"""The stream reader's fairness and its deadline, on a fake clock or a stalled body (no timing asserts)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from types import SimpleNamespace

import httpx
import pytest

from models.llm import upstream
from models.llm.upstream import MAX_HOLD_S, ChatStream
from provider.deadline import Deadline
from provider.errors.tree import BudgetExceeded


def event(content: str) -> bytes:
    return f"data: {json.dumps({'choices': [{'delta': {'content': content}}]})}\n\n".encode()


def sse(parts: Iterator[bytes]) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=parts)


def test_an_upstream_that_never_pauses_lets_the_consumer_run_once_per_hold_period(monkeypatch):
    # Readers of earlier tests must be gone: they would read this test's clock (shuffled order).
    for thread in threading.enumerate():
        if thread.name == "atlascloud-stream":
            thread.join(5)
    # The reader's clock is read at the start, after each read, and again after each yield.
    readings = iter([0.0, MAX_HOLD_S, MAX_HOLD_S, 0.5, 0.5, 0.51])
    yields: list[float] = []
    monkeypatch.setattr(upstream, "time", SimpleNamespace(monotonic=lambda: next(readings), sleep=yields.append))
    stream = ChatStream(sse(iter([event(c) for c in "abcd"])), Deadline.start(10))
    assert [p.content for batch in stream.batches() for p in batch] == ["a", "b", "c", "d"]
    # Reads at 0.02 twice (exactly the hold period: no yield), 0.5 (yield), 0.51 (only 0.01 since then).
    assert yields == [0]


def test_a_stalled_upstream_fails_at_the_deadline_and_nothing_later_is_shown():
    release = threading.Event()

    def stalled() -> Iterator[bytes]:
        yield event("a")
        release.wait(timeout=0.8)  # well past the 0.2 s deadline
        yield event("too late")
        release.wait(timeout=5)  # set as soon as the test is done
        raise httpx.ReadError("the upstream gave up")

    before = set(threading.enumerate())
    stream = ChatStream(sse(stalled()), Deadline.start(0.2))
    readers = set(threading.enumerate()) - before
    seen = []
    try:
        with pytest.raises(BudgetExceeded):
            for batch in stream.batches():
                seen += [p.content for p in batch]
    finally:
        release.set()
        stream.close()
    assert seen == ["a"]
    # A reader still blocked on a silent upstream never keeps the plugin process from exiting.
    assert readers and all(thread.daemon for thread in readers)
