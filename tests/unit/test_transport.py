"""The invocation deadline and retries that never outlive it (fake clock, no network)."""

from __future__ import annotations

import httpx
import pytest

from provider import deadline as transport
from provider.daemon import INVOCATION_LIMIT_S
from provider.deadline import MAX_ATTEMPTS, Deadline, is_retryable, with_retries
from provider.errors.tree import BudgetExceeded, StatusError
from provider.settings import Settings
from tests.unit.fakes import Clock, status_error


def status(code: int) -> StatusError:
    return status_error(code, {"code": code, "msg": "x"})


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(transport.time, "monotonic", fake.monotonic)
    return fake


def failing(errors: list[BaseException], clock: Clock, cost_s: float = 0.0):
    calls: list[httpx.Timeout] = []

    def attempt(timeout: httpx.Timeout) -> str:
        calls.append(timeout)
        clock.now += min(cost_s, timeout.read)  # a real attempt is cut at its timeout
        if errors:
            raise errors.pop(0)
        return "ok"

    return attempt, calls


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (status(429), True),
        (status(500), True),
        (status(502), True),
        (status(503), True),
        (status(504), False),
        (status(400), False),
        (status(401), False),
        (status(402), False),
        (status(404), False),
        (httpx.ConnectError("refused"), True),
        (httpx.ConnectTimeout("silent"), True),
        (httpx.ReadTimeout("slow"), True),
        (httpx.RemoteProtocolError("dropped"), True),
        (ValueError("x"), False),
    ],
)
def test_only_failures_that_were_not_processed_are_retried(error, retryable):
    assert is_retryable(error) is retryable


def test_retries_then_succeeds_with_growing_backoff(clock):
    attempt, calls = failing([status(429), status(503)], clock)
    assert with_retries(Deadline.start(100), attempt, sleep=clock.sleep) == "ok"
    assert len(calls) == 3
    assert len(clock.slept) == 2 and 0.5 <= clock.slept[0] <= 0.75 and 1.0 <= clock.slept[1] <= 1.5


def test_gives_up_after_max_attempts_with_the_last_error(clock):
    errors = [status(500) for _ in range(MAX_ATTEMPTS + 1)]
    attempt, calls = failing(errors, clock)
    with pytest.raises(StatusError, match="HTTP 500"):
        with_retries(Deadline.start(100), attempt, sleep=clock.sleep)
    assert len(calls) == MAX_ATTEMPTS


def test_client_errors_are_final_at_once(clock):
    attempt, calls = failing([status(400)], clock)
    with pytest.raises(StatusError, match="HTTP 400"):
        with_retries(Deadline.start(100), attempt, sleep=clock.sleep)
    assert len(calls) == 1 and clock.slept == []


def test_each_attempt_gets_only_what_is_left_of_the_budget(clock):
    attempt, calls = failing([httpx.ConnectError("refused")], clock, cost_s=30)
    with_retries(Deadline.start(100), attempt, sleep=clock.sleep)
    assert calls[0].read == 100 and calls[0].connect == transport.CONNECT_TIMEOUT_S
    assert calls[1].read == pytest.approx(100 - 30 - clock.slept[0])


def test_a_silent_upstream_ends_with_the_budget_message_not_three_read_timeouts(clock):
    # Each attempt waits its whole read timeout, which is cut to what is left: one attempt uses it all.
    attempt, calls = failing([httpx.ReadTimeout("silent")] * 3, clock, cost_s=570)
    with pytest.raises(BudgetExceeded, match="570 s") as raised:
        with_retries(Deadline.start(570), attempt, sleep=clock.sleep)
    assert len(calls) == 1
    assert "PLUGIN_MAX_EXECUTION_TIMEOUT" in str(raised.value)


def test_backoff_never_sleeps_past_the_deadline(clock):
    attempt, calls = failing([status(503), status(503)], clock, cost_s=2.5)
    with pytest.raises(StatusError, match="HTTP 503"):
        with_retries(Deadline.start(5.0), attempt, sleep=clock.sleep)
    assert clock.now <= 1000.0 + 5.0 and len(calls) <= 2


def test_an_expired_deadline_sends_nothing(clock):
    deadline = Deadline.start(10)
    clock.now += 11
    attempt, calls = failing([], clock)
    with pytest.raises(BudgetExceeded):
        with_retries(deadline, attempt, sleep=clock.sleep)
    assert calls == []
    with pytest.raises(BudgetExceeded):
        deadline.check()


def test_the_default_budget_ends_before_difys_600_seconds():
    assert Settings().total_timeout_s < INVOCATION_LIMIT_S
