"""The process-wide image memory budget: accounting, order, bounded waits, and that it works
for gevent greenlets handing work to real threads (as in the plugin) and for plain threads."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from models.vision_utils.image.budget import MemoryBudget
from provider.errors.tree import ImageError

ROOT = Path(__file__).resolve().parents[2]


def test_reservations_add_up_and_are_given_back():
    budget = MemoryBudget(100, wait_s=0)
    with budget.reserve(60):
        assert budget.used == 60
        with budget.reserve(40):  # exactly full is allowed
            assert budget.used == 100
        assert budget.used == 60
    assert budget.used == 0 and budget.peak == 100


def test_an_image_larger_than_the_whole_budget_is_refused_at_once():
    budget = MemoryBudget(100, wait_s=30)
    started = time.monotonic()
    with pytest.raises(ImageError, match="more than the whole 0 MB image budget"), budget.reserve(101):
        pass
    assert time.monotonic() - started < 5, "no waiting for what can never fit"
    assert budget.used == 0


def test_a_failed_conversion_gives_its_reservation_back():
    budget = MemoryBudget(100, wait_s=0)
    with pytest.raises(RuntimeError), budget.reserve(70):
        raise RuntimeError("decoder crashed")
    with budget.reserve(100):
        assert budget.used == 100


def test_waiting_is_bounded_and_leaves_the_queue_usable():
    budget = MemoryBudget(100, wait_s=0.2, poll_s=0.01)
    with budget.reserve(80):
        with pytest.raises(ImageError, match="busy converting other images"), budget.reserve(30):
            pass
        with budget.reserve(20):  # the timed-out request no longer blocks the line
            assert budget.used == 100
    assert budget.used == 0


try:  # OS threads and their primitives even if another test module has imported dify_plugin (gevent)
    from gevent.monkey import get_original

    native_lock = get_original("_thread", "allocate_lock")
    start_native_thread = get_original("_thread", "start_new_thread")
    native_sleep = get_original("time", "sleep")
except ImportError:  # pragma: no cover
    from _thread import allocate_lock as native_lock
    from _thread import start_new_thread as start_native_thread
    from time import sleep as native_sleep

STEP_S = 5.0  # the longest any step may take before the test fails (never reached when it passes)


class Gate:
    """A one-way signal between OS threads, on a native lock (held = closed)."""

    def __init__(self) -> None:
        self._lock = native_lock()
        self._lock.acquire()

    def open(self) -> None:
        if self._lock.locked():
            self._lock.release()

    def is_open(self) -> bool:
        return not self._lock.locked()

    def wait(self, seconds: float) -> bool:
        if self._lock.acquire(timeout=seconds):
            self._lock.release()
            return True
        return False


def _reserver(budget: MemoryBudget, cost: int, log: list, release: Gate) -> Gate:
    """An OS thread (never a greenlet, never keeping pytest alive) that reserves `cost`, logs,
    and holds it until `release` opens; the gate it returns opens when it has ended."""
    done = Gate()

    def work() -> None:
        try:
            with budget.reserve(cost):
                log.append(("start", cost, budget.used))
                release.wait(STEP_S)
                log.append(("end", cost))
        finally:
            done.open()

    start_native_thread(work, ())
    return done


def _until(condition, what: str) -> None:
    deadline = time.monotonic() + STEP_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        native_sleep(0.001)


def test_real_threads_wait_for_room_first_come_first_served():
    budget = MemoryBudget(100, wait_s=STEP_S, poll_s=0.001, sleep=native_sleep)
    log: list = []
    hold_first, hold_rest = Gate(), Gate()
    hold_rest.open()  # the later ones end as soon as they start
    first = _reserver(budget, 70, log, hold_first)
    _until(lambda: budget.used == 70, "the first reservation is held")
    big = _reserver(budget, 60, log, hold_rest)  # does not fit beside the first: waits
    _until(lambda: budget.waiting == 1, "the big one waits")
    small = _reserver(budget, 20, log, hold_rest)  # would fit now, but must not overtake `big`
    _until(lambda: budget.waiting == 2, "the small one waits behind it")
    assert [entry[1] for entry in log if entry[0] == "start"] == [70], "nobody overtook while the first held"
    hold_first.open()
    for ended in (first, big, small):
        assert ended.wait(STEP_S), "every reservation ends"
    starts = [entry[1] for entry in log if entry[0] == "start"]
    assert starts == [70, 60, 20]
    assert log.index(("end", 70)) < log.index(("start", 60, 60))
    assert all(entry[2] <= 100 for entry in log if entry[0] == "start")
    assert budget.used == 0 and budget.peak <= 100


GREENLETS = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {root!r})
    import dify_plugin  # monkey-patches everything, as in the plugin process
    import gevent
    from gevent import get_hub
    from models.vision_utils.image.budget import MemoryBudget
    from models.common.threads import run_blocking

    budget = MemoryBudget(100, wait_s=30, poll_s=0.005)
    inside, peak, served, threads = [0], [0], [0], set()
    ticks = []

    def heavy(seconds):  # stands in for Pillow: blocks its OS thread, not the event loop
        import threading
        threads.add(threading.get_native_id())
        time.sleep(seconds)  # a real sleep on a pool thread
        return seconds

    def request(cost):
        with budget.reserve(cost):
            inside[0] += cost
            peak[0] = max(peak[0], inside[0])
            run_blocking(heavy, 0.05)
            inside[0] -= cost
        served[0] += 1

    def heartbeat():
        for _ in range(40):
            ticks.append(time.monotonic())
            gevent.sleep(0.01)

    beat = gevent.spawn(heartbeat)
    jobs = [gevent.spawn(request, cost) for cost in [60, 60, 30, 30, 30, 90, 10, 10, 50, 50] * 2]
    gevent.joinall(jobs, timeout=60)
    beat.join(5)
    gaps = max(b - a for a, b in zip(ticks, ticks[1:]))
    print(served[0], peak[0], budget.used, len(threads), f"{{gaps:.3f}}")
    """
)


def test_greenlets_wait_cooperatively_while_real_threads_convert():
    """Twenty requests in greenlets, each converting on gevent's thread pool inside its
    reservation: none may deadlock (a native Condition here would freeze the event loop),
    the budget is never exceeded, and other greenlets keep running while requests wait."""
    code = GREENLETS.format(root=str(ROOT))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    served, peak, left, threads, gap = result.stdout.split()
    assert int(served) == 20, "every request was served"
    assert int(peak) <= 100 and int(left) == 0
    assert int(threads) >= 1, "the work ran on real threads"
    assert float(gap) < 1.0, "the event loop kept turning while requests waited"


@pytest.mark.parametrize(
    ("setting", "mebibytes"),
    [(None, 384), ("", 384), ("64", 64), ("63", 384), ("1024", 1024), ("65536", 65536), ("65537", 384),
     ("abc", 384), ("-128", 384), ("1e3", 384), (" 512", 384)],
)  # fmt: skip
def test_the_budget_comes_from_the_environment_within_bounds(setting, mebibytes):
    from provider.settings import read_settings

    environ = {} if setting is None else {"ATLASCLOUD_IMAGE_MEMORY_MB": setting}
    assert read_settings(environ).image_memory_bytes == mebibytes * 1024 * 1024


def test_a_new_budget_has_seen_no_reservation():
    budget = MemoryBudget(100)
    assert budget.peak == 0 and budget.used == 0


def test_freed_image_memory_goes_back_to_the_os_on_glibc(monkeypatch):
    from models.vision_utils.image import budget as budget_module

    calls = []

    class FakeLibc:
        def mallopt(self, parameter: int, value: int) -> int:
            calls.append((parameter, value))
            return 1

    monkeypatch.setattr(budget_module.ctypes, "CDLL", lambda name: FakeLibc())
    monkeypatch.setattr(budget_module.sys, "platform", "linux")
    assert budget_module.release_large_blocks_to_the_os() is True
    assert calls == [(-3, 1024 * 1024)], "M_MMAP_THRESHOLD fixed at 1 MiB"
    monkeypatch.setattr(budget_module.sys, "platform", "darwin")
    assert budget_module.release_large_blocks_to_the_os() is False
    assert len(calls) == 1, "nothing is called outside Linux"


def test_without_a_usable_libc_the_threshold_is_left_alone(monkeypatch):
    from models.vision_utils.image import budget as budget_module

    def no_libc(name):
        raise OSError("no C library here")

    monkeypatch.setattr(budget_module.ctypes, "CDLL", no_libc)
    monkeypatch.setattr(budget_module.sys, "platform", "linux")
    assert budget_module.release_large_blocks_to_the_os() is False
