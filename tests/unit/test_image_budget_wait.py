"""A conversion waiting for image memory pauses with the sleep it was given (the native one on
OS threads under gevent), every `poll_s`, until it gives up after `wait_s`."""

from __future__ import annotations

import pytest

from models.vision_utils.image.budget import MemoryBudget
from provider.errors.tree import ImageError


def test_a_waiting_reservation_pauses_with_the_given_sleep_between_polls():
    pauses: list[float] = []
    budget = MemoryBudget(100, wait_s=0.02, poll_s=0.004, sleep=pauses.append)
    with budget.reserve(80), pytest.raises(ImageError, match="busy converting other images"), budget.reserve(30):
        pass
    assert pauses and set(pauses) == {0.004}
    assert budget.used == 0 and budget.waiting == 0
