"""Work off the request's greenlet (models/common/threads.py): `run_blocking` on a real thread,
`fan_out` and `fan_out_in_order` with their concurrency caps, order and failure rules, under
gevent's monkey-patching as in the plugin process (dify_plugin patches at import)."""

from __future__ import annotations

import threading
import time

import dify_plugin  # noqa: F401  (monkey-patches threading, as in the plugin process)
import pytest

from models.common.threads import fan_out, fan_out_in_order, run_blocking


class Recorder:
    """Counts calls running at once; fails on `fail_at`."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.fail_at = fail_at
        self.started: list[int] = []
        self.ended: list[int] = []
        self.running = self.most_running = 0
        self.lock = threading.Lock()

    def __call__(self, item: int) -> int:
        with self.lock:
            self.started.append(item)
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        time.sleep(0.002)  # yields to the other calls (a gevent sleep once patched)
        with self.lock:
            self.running -= 1
            self.ended.append(item)
        if item == self.fail_at:
            raise RuntimeError(f"item {item} failed")
        return item * 10


def test_blocking_work_runs_on_another_os_thread_with_its_arguments():
    here = threading.get_native_id()
    assert run_blocking(lambda a, b: (a + b, threading.get_native_id() != here), 2, 3) == (5, True)


def test_blocking_work_raises_its_own_error():
    def fail() -> None:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        run_blocking(fail)


def test_fan_out_keeps_the_items_order_and_its_concurrency_cap():
    work = Recorder()
    assert fan_out(work, list(range(9)), 3) == [item * 10 for item in range(9)]
    assert work.most_running == 3


def test_fan_out_of_nothing_is_nothing_and_of_one_item_one_call():
    assert fan_out(Recorder(), [], 4) == []
    work = Recorder()
    assert fan_out(work, [7], 4) == [70] and work.started == [7]


def test_fan_out_raises_the_first_failure_after_every_started_call_has_ended():
    work = Recorder(fail_at=1)
    with pytest.raises(RuntimeError, match="item 1 failed"):
        fan_out(work, list(range(6)), 2)
    assert 1 in work.started and sorted(work.ended) == sorted(work.started)


def test_fan_out_in_order_of_nothing_is_nothing():
    assert list(fan_out_in_order(Recorder(), [], 3)) == []


def test_fan_out_in_order_holds_at_most_max_workers_results_and_starts_nothing_once_stopped():
    work = Recorder()
    stream = fan_out_in_order(work, list(range(10)), 2)
    assert next(stream) == 0
    time.sleep(0.02)  # let the started calls finish
    assert work.started == [0, 1, 2]  # two in flight at first, one more once the first was taken
    stream.close()
    time.sleep(0.02)
    assert work.started == [0, 1, 2]


def test_fan_out_in_order_with_more_workers_than_items_runs_them_all_at_once():
    work = Recorder()
    assert list(fan_out_in_order(work, [1, 2, 3], 8)) == [10, 20, 30]
    assert work.most_running == 3


def test_a_consumer_that_stops_early_does_not_wait_for_calls_still_running():
    gate, finished = threading.Event(), threading.Event()

    def work(item: int) -> int:
        if item == 1:
            gate.wait(2)
            finished.set()
        return item

    stream = fan_out_in_order(work, [0, 1], 2)
    try:
        assert next(stream) == 0
        stream.close()
        assert not finished.is_set()  # item 1 still runs, in the background
    finally:
        gate.set()
