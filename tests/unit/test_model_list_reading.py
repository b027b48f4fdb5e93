"""AtlasCloud's model list beyond test_model_list.py: each field read leniently, the exact reasons
a list is refused, the fetch itself (GET /models within its size cap and time budget, on the
plugin's client answered in memory), and the cache's intervals, logs and waiting rules."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

import models.llm.model_list as model_list
from models.llm.model_list import (
    MAX_LIST_BYTES,
    REFRESH_THREAD,
    ListedModel,
    ModelListCache,
    fetch_model_list,
    is_ready,
    parse_model_list,
    per_million,
    positive_count,
)
from provider.client import Client
from provider.connection import Connection
from provider.errors.tree import ReplyError
from tests.unit.fakes import Clock, client_answering, status_error

KEY = "plain-secret-k3y-42"  # not key-shaped: only the configured key redacts it
ATLAS = Connection("https://api.atlascloud.ai/v1", KEY)
THINKER = ListedModel(id="acme/thinker", context_size=1000)


# --- fields ----------------------------------------------------------------------------------------------


def test_prices_per_token_become_exact_prices_per_million():
    assert per_million("0.00000026") == Decimal("0.26")
    assert str(per_million("0.00000026")) == "0.26", "the price Dify shows has no trailing zeros"
    assert per_million(" 0.000001 ") == Decimal(1)
    assert per_million(0) == 0  # free is a price
    for unusable in (None, True, "n/a", "NaN", "Infinity", "-0.1"):
        assert per_million(unusable) is None, unusable


def test_counts_must_be_positive_whole_numbers():
    assert (positive_count(1), positive_count(" 12 "), positive_count("1")) == (1, 12, 1)
    for unusable in (0, "0", -5, True, "12k", 3.5, None):
        assert positive_count(unusable) is None, unusable


def test_only_an_explicit_false_means_not_ready():
    assert is_ready({}) and is_ready({"is_ready": True}) and is_ready({"is_ready": None})
    for refused in (False, "false", "False", "FALSE"):
        assert not is_ready({"is_ready": refused}), refused


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>", "the model list is not JSON"),
        (b'{"data": 3}', "the model list has no `data` array"),
        (b'{"code": 500, "msg": "x", "data": []}', "the model list answered code 500"),
    ],
)
def test_what_is_not_a_model_list_is_refused_with_its_reason(body: bytes, reason: str):
    with pytest.raises(ReplyError) as refused:
        parse_model_list(body)
    assert str(refused.value) == reason


def test_entries_without_a_usable_id_are_skipped_and_the_first_of_two_wins():
    data = ["acme/x", {"name": "no id"}, {"id": 5}, {"id": ""}, {"id": "a/b", "context_length": 7}, {"id": "a/b"}]
    models = parse_model_list(json.dumps({"code": "200", "data": data}).encode())
    assert models == {"a/b": ListedModel(id="a/b", context_size=7)}


# --- the fetch ---------------------------------------------------------------------------------------------


class Body(httpx.SyncByteStream):
    """A reply body in parts; advances `clock` by `step` seconds per part; notes its closing."""

    def __init__(self, parts: list[bytes], clock: Clock | None = None, step: float = 0.0) -> None:
        self.parts, self.clock, self.step = parts, clock, step
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        for part in self.parts:
            if self.clock is not None:
                self.clock.now += self.step
            yield part

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch):
    """The list endpoint in memory; returns the requests it received."""

    def install(body: Body) -> list[httpx.Request]:
        received: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            received.append(request)
            return httpx.Response(200, stream=body)

        client = client_answering(handler)

        def open_client(connection: Connection) -> Client:
            assert connection == ATLAS  # the list of the model's own endpoint
            return client

        monkeypatch.setattr(model_list, "open_client", open_client)
        return received

    return install


def test_the_list_is_asked_for_with_a_get_and_short_timeouts_and_the_reply_closed(serve):
    body = Body([b'{"data": [{"id": "acme/thinker",', b' "context_length": 1000}]}'])
    received = serve(body)
    assert fetch_model_list(ATLAS) == {"acme/thinker": THINKER}
    request = received[0]
    assert (request.method, request.url.path, request.content) == ("GET", "/v1/models", b"")
    assert request.extensions["timeout"] == {"connect": 2.0, "read": 3.0, "write": 3.0, "pool": 3.0}
    assert body.closed


def test_a_list_of_exactly_the_size_cap_is_read_and_a_larger_one_refused(serve):
    exact = b'{"data": []}'.ljust(MAX_LIST_BYTES)
    serve(Body([exact[: MAX_LIST_BYTES // 2], exact[MAX_LIST_BYTES // 2 :]]))
    assert fetch_model_list(ATLAS) == {}
    larger = Body([exact, b" "])
    serve(larger)
    with pytest.raises(ReplyError) as refused:
        fetch_model_list(ATLAS)
    assert str(refused.value) == "the model list is larger than 8 MiB"
    assert larger.closed


def test_a_list_that_drips_past_the_budget_is_refused(serve, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(model_list, "time", SimpleNamespace(monotonic=clock.monotonic))
    serve(Body([b'{"data": ', b"[]", b"}"], clock, step=2.0))  # 2, 4, 6 s after the start
    with pytest.raises(ReplyError) as refused:
        fetch_model_list(ATLAS)
    assert str(refused.value) == "the model list took longer than 4 s to arrive"
    serve(Body([b'{"data": ', b"[]}"], clock, step=2.0))  # exactly the budget: still read
    assert fetch_model_list(ATLAS) == {}


# --- the cache -----------------------------------------------------------------------------------------------


class Fetches:
    def __init__(self, *answers: Any, gate: threading.Event | None = None) -> None:
        self.answers = list(answers)
        self.calls = 0
        self.gate = gate

    def __call__(self, connection: Connection) -> dict[str, ListedModel]:
        self.calls += 1
        if self.gate is not None and self.calls > 1:
            self.gate.wait(5)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def wait_for_refresh() -> None:
    for thread in threading.enumerate():
        if thread.name == REFRESH_THREAD:
            thread.join(timeout=5)


def test_a_good_list_is_kept_for_the_full_interval_and_refreshed_at_its_end():
    clock = Clock()
    fetches = Fetches({"acme/thinker": THINKER})
    cache = ModelListCache(fetches, clock.monotonic, ttl_s=600, retry_s=60)
    cache.lookup(ATLAS, "acme/thinker")
    clock.now += 120
    cache.lookup(ATLAS, "acme/thinker")
    assert fetches.calls == 1  # a good list is not asked for again after the retry interval
    clock.now += 480  # exactly the interval
    cache.lookup(ATLAS, "acme/thinker")
    wait_for_refresh()
    assert fetches.calls == 2


def test_a_failed_refresh_keeps_the_last_good_list():
    clock = Clock()
    fetches = Fetches({"acme/thinker": THINKER}, ReplyError("the model list is not JSON"))
    cache = ModelListCache(fetches, clock.monotonic, ttl_s=600, retry_s=60)
    assert cache.lookup(ATLAS, "acme/thinker") == THINKER
    clock.now += 601
    cache.lookup(ATLAS, "acme/thinker")
    wait_for_refresh()
    assert fetches.calls == 2 and cache.lookup(ATLAS, "acme/thinker") == THINKER


def test_a_stale_list_starts_one_refresh_on_a_daemon_thread_however_often_it_is_asked():
    clock = Clock()
    gate = threading.Event()
    fetches = Fetches({"acme/thinker": THINKER}, gate=gate)
    cache = ModelListCache(fetches, clock.monotonic, ttl_s=600, retry_s=60)
    cache.lookup(ATLAS, "acme/thinker")
    clock.now += 601
    try:
        for _ in range(3):
            assert cache.lookup(ATLAS, "acme/thinker") == THINKER
        refreshing = [thread for thread in threading.enumerate() if thread.name == REFRESH_THREAD]
        assert len(refreshing) == 1 and refreshing[0].daemon
    finally:
        gate.set()
    wait_for_refresh()
    assert fetches.calls == 2


@pytest.mark.parametrize(("status", "next_try"), [(401, 600), (403, 600), (404, 600), (405, 600), (500, 60)])
def test_a_refused_list_is_logged_and_asked_for_again_by_what_the_status_means(caplog, status, next_try):
    clock = Clock()
    fetches = Fetches(status_error(status, json={"msg": "no"}))
    cache = ModelListCache(fetches, clock.monotonic, ttl_s=600, retry_s=60)
    with caplog.at_level(logging.WARNING, logger="models.llm.model_list"):
        assert cache.lookup(ATLAS, "acme/thinker") is None
    assert caplog.messages == [
        f"the model list of AtlasCloud could not be read (HTTP {status}); user-added models use their form's "
        f"values until it can be (next try in {next_try} s)"
    ]
    clock.now += 61
    cache.lookup(ATLAS, "acme/thinker")
    wait_for_refresh()
    assert fetches.calls == (1 if next_try == 600 else 2)


def test_an_unreadable_list_is_logged_with_its_reason_without_the_key(caplog):
    fetches = Fetches(ReplyError(f"garbled reply for {KEY}"))
    with caplog.at_level(logging.WARNING, logger="models.llm.model_list"):
        ModelListCache(fetches, Clock().monotonic, ttl_s=600, retry_s=60).lookup(ATLAS, "acme/thinker")
    assert len(caplog.messages) == 1
    assert caplog.messages[0].startswith("the model list of AtlasCloud could not be read (ReplyError: garbled reply")
    assert caplog.messages[0].endswith("(next try in 60 s)") and KEY not in caplog.messages[0]


def test_a_lookup_that_waits_for_another_sessions_first_fetch_gets_its_list(monkeypatch):
    monkeypatch.setattr(model_list, "FETCH_BUDGET_S", 0.0)  # waiters wait one second at most
    fetching, gate = threading.Event(), threading.Event()

    def slow_fetch(connection: Connection) -> dict[str, ListedModel]:
        fetching.set()
        gate.wait(5)
        return {"acme/thinker": THINKER}

    cache = ModelListCache(slow_fetch)
    first = threading.Thread(target=cache.lookup, args=(ATLAS, "acme/thinker"))
    first.start()
    assert fetching.wait(5)
    release = threading.Timer(0.02, gate.set)  # the fetch ends while this lookup waits for it
    release.start()
    try:
        assert cache.lookup(ATLAS, "acme/thinker") == THINKER
    finally:
        gate.set()
        first.join(10)
        release.join(10)


def test_a_lookup_that_gives_up_waiting_for_another_sessions_first_fetch_gets_no_list(monkeypatch):
    monkeypatch.setattr(model_list, "FETCH_BUDGET_S", -1.0)  # the fetch outlasts the wait
    gate = threading.Event()

    def slow_fetch(connection: Connection) -> dict[str, ListedModel]:
        gate.wait(5)
        return {"acme/thinker": THINKER}

    cache = ModelListCache(slow_fetch)
    first = threading.Thread(target=cache.lookup, args=(ATLAS, "acme/thinker"))
    first.start()
    try:
        assert cache.lookup(ATLAS, "acme/thinker") is None
    finally:
        gate.set()
        first.join(10)
