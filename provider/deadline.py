"""One invocation's time budget, and retries that never outlive it.

Dify's plugin daemon cuts any invocation after 600 s in total (provider/daemon.py), and Dify's
API gives up on the daemon after the same time. A per-read timeout alone cannot respect that:
with retries, a silent upstream would be waited for three times over. So every invocation gets
a `Deadline`; each attempt's timeouts are cut to what is left of it, retries stop when it is
spent, and streams check it between reads. The budget ends before Dify's limit, so users see
this plugin's clear message instead of the daemon's generic one. Downloads use the same class
with a budget of their own.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from provider.errors.tree import BudgetExceeded, StatusError
from provider.errors.wording import capitalised
from provider.settings import settings

CONNECT_TIMEOUT_S = 10.0
# Checking credentials or a model must answer while the administrator waits at the form.
VALIDATION_BUDGET_S = 60.0
MAX_ATTEMPTS = 3
BACKOFF_S = 0.5
# 504 is AtlasCloud's "synchronous request exceeded its maximum wait": a retry would wait again.
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503})
# Not worth another attempt with less time than this left.
MIN_ATTEMPT_S = 2.0


def _now() -> float:
    return time.monotonic()  # looked up at call time, so a test's clock on `time` is seen


@dataclass(frozen=True)
class Deadline:
    """The moment (on `clock`) by which one invocation, or one download, must be over."""

    expires_at: float
    budget_s: float
    what: str = "AtlasCloud"  # who is being waited for, for the message
    # A budget of its own (a download) says which limit it is and what to do; empty: the call's.
    limit: str = ""
    advice: str = ""
    clock: Callable[[], float] = field(default=_now, repr=False, compare=False)

    @classmethod
    def start(
        cls,
        budget_s: float | None = None,
        what: str = "AtlasCloud",
        clock: Callable[[], float] = _now,
        **wording: str,
    ) -> Deadline:
        """A deadline from now; the budget defaults to ATLASCLOUD_TOTAL_TIMEOUT_S (provider/settings.py).
        `wording` may replace the message's `limit` and `advice`."""
        budget = settings().total_timeout_s if budget_s is None else budget_s
        return cls(expires_at=clock() + budget, budget_s=budget, what=what, clock=clock, **wording)

    def remaining(self) -> float:
        return self.expires_at - self.clock()

    def left(self) -> float:
        """What is left, or BudgetExceeded when nothing is."""
        left = self.remaining()
        if left <= 0:
            raise self.exceeded()
        return left

    def clamp(self, timeout: float | None) -> float:
        """`timeout` cut to what is left (all of it when None); BudgetExceeded when nothing is."""
        left = self.left()
        return left if timeout is None else min(timeout, left)

    def timeout(self) -> httpx.Timeout:
        """An httpx timeout for one attempt: never longer than what is left of the budget."""
        left = max(self.remaining(), 0.001)
        return httpx.Timeout(min(settings().read_timeout_s, left), connect=min(CONNECT_TIMEOUT_S, left))

    def exceeded(self) -> BudgetExceeded:
        if self.limit:
            return BudgetExceeded(
                f"{capitalised(self.what)} did not finish within {self.budget_s:.0f} s, {self.limit}. {self.advice}"
            )
        # The 600 s is the daemon's INVOCATION_LIMIT_S (a test keeps them equal), written out so the
        # README can quote this message word for word.
        return BudgetExceeded(
            f"{capitalised(self.what)} did not finish within {self.budget_s:.0f} s, this plugin's limit for one call "
            "(Dify's daemon stops every call at 600 s, PLUGIN_MAX_EXECUTION_TIMEOUT). Lower max tokens or "
            "the reasoning effort, or have the administrator raise both limits (ATLASCLOUD_TOTAL_TIMEOUT_S)."
        )

    def check(self) -> None:
        self.left()


def is_retryable(error: BaseException) -> bool:
    if isinstance(error, StatusError):
        return error.status in RETRY_STATUSES
    return isinstance(error, httpx.TransportError)  # refused, dropped or timed out before a reply


def never_sent(error: BaseException) -> bool:
    """The request provably never reached the server: no connection was made. For calls that must
    not run twice (a billed job submit), where a read timeout may hide a job already created."""
    return isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)


def with_retries[T](
    deadline: Deadline,
    attempt: Callable[[httpx.Timeout], T],
    sleep: Callable[[float], None] = time.sleep,
    retryable: Callable[[BaseException], bool] = is_retryable,
) -> T:
    """Run `attempt(timeout)` up to MAX_ATTEMPTS times within the deadline.

    By default only failures that cannot have been processed (connection errors, timeouts, 429,
    5xx other than 504) are retried, with exponential backoff and jitter; 4xx are final.
    `retryable=never_sent` narrows that to requests that never left the plugin.
    """
    for number in range(MAX_ATTEMPTS):
        deadline.check()
        try:
            return attempt(deadline.timeout())
        except Exception as error:
            if not retryable(error) or number == MAX_ATTEMPTS - 1:
                raise
            if deadline.remaining() < MIN_ATTEMPT_S:
                if isinstance(error, httpx.TimeoutException):
                    raise deadline.exceeded() from None
                raise
            sleep(min(BACKOFF_S * 2**number * (1 + random.random() / 2), deadline.remaining() - MIN_ATTEMPT_S))
    raise AssertionError("unreachable")  # pragma: no cover
