"""The time budget at its edges, on a fake clock: the last moments, the backoff's size, the message."""

from __future__ import annotations

import httpx
import pytest

from provider import deadline as transport
from provider.deadline import Deadline, with_retries
from provider.errors.tree import BudgetExceeded, StatusError
from tests.unit.fakes import Clock, status_error


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(transport.time, "monotonic", fake.monotonic)
    return fake


def overloaded() -> StatusError:
    return status_error(503, {"code": 503, "msg": "busy"})


def attempts(clock: Clock, failures: int, cost_s: float) -> tuple:
    timeouts: list[httpx.Timeout] = []

    def attempt(timeout: httpx.Timeout) -> str:
        timeouts.append(timeout)
        clock.now += cost_s
        if len(timeouts) <= failures:
            raise overloaded()
        return "ok"

    return attempt, timeouts


def test_the_message_names_who_was_waited_for_the_budget_and_what_to_do(clock):
    deadline = Deadline.start(300, what="the endpoint gw.example.com")
    clock.now += 300
    with pytest.raises(BudgetExceeded) as raised:
        deadline.check()
    assert str(raised.value) == (
        "The endpoint gw.example.com did not finish within 300 s, this plugin's limit for one call "
        "(Dify's daemon stops every call at 600 s, PLUGIN_MAX_EXECUTION_TIMEOUT). Lower max tokens or "
        "the reasoning effort, or have the administrator raise both limits (ATLASCLOUD_TOTAL_TIMEOUT_S)."
    )
    assert str(Deadline.start(10).exceeded()).startswith("AtlasCloud did not finish within 10 s,")


def test_half_a_second_left_still_allows_a_call_with_timeouts_cut_to_it(clock):
    deadline = Deadline.start(10)
    clock.now += 9.5
    deadline.check()
    timeout = deadline.timeout()
    assert (timeout.read, timeout.connect) == (0.5, 0.5)


def test_a_spent_budget_gives_the_smallest_timeout_rather_than_none(clock):
    deadline = Deadline.start(10)
    clock.now += 12
    assert deadline.timeout().read == 0.001


def test_with_exactly_the_minimum_attempt_time_left_it_tries_once_more(clock):
    attempt, timeouts = attempts(clock, failures=1, cost_s=8.0)
    assert with_retries(Deadline.start(10), attempt, sleep=clock.sleep) == "ok"
    assert clock.slept == [0.0] and timeouts[1].read == transport.MIN_ATTEMPT_S


def test_the_backoff_is_cut_so_the_next_attempt_keeps_its_minimum_time(clock, monkeypatch):
    monkeypatch.setattr(transport.random, "random", lambda: 0.0)
    attempt, timeouts = attempts(clock, failures=1, cost_s=7.75)
    with_retries(Deadline.start(10), attempt, sleep=clock.sleep)
    assert clock.slept == [0.25] and timeouts[1].read == transport.MIN_ATTEMPT_S


def test_the_jitter_adds_at_most_half_of_each_backoff(clock, monkeypatch):
    monkeypatch.setattr(transport.random, "random", lambda: 1.0)
    attempt, _ = attempts(clock, failures=2, cost_s=0.0)
    with_retries(Deadline.start(100), attempt, sleep=clock.sleep)
    assert clock.slept == [0.75, 1.5]


def test_the_message_names_the_daemons_own_limit():
    from provider.daemon import INVOCATION_LIMIT_S

    assert f"stops every call at {INVOCATION_LIMIT_S} s" in str(Deadline.start(10).exceeded())


def test_a_download_names_its_own_limit_and_setting():
    message = str(
        Deadline.start(20, what="the download", limit="the limit for one download", advice="Raise X.").exceeded()
    )
    assert message == "The download did not finish within 20 s, the limit for one download. Raise X."
