"""The caches of read documents and rendered pages: bounded by weight, least recently used out first,
an entry too heavy for its share never held."""

from __future__ import annotations

from models.vision_utils.document.cache import WeightedCache


def test_an_entry_heavier_than_a_quarter_of_the_capacity_is_not_held():
    cache: WeightedCache[str] = WeightedCache(100)
    assert cache.largest == 25
    cache.put("big", "value", 26)
    assert cache.get("big") is None and cache.held == 0
    cache.put("edge", "value", 25)
    assert cache.get("edge") == "value" and cache.held == 25


def test_the_largest_share_can_be_set():
    cache: WeightedCache[str] = WeightedCache(100, largest_share=0.5)
    cache.put("half", "value", 50)
    assert cache.get("half") == "value"


def test_the_least_recently_used_entry_goes_first_when_the_weight_runs_over():
    cache: WeightedCache[int] = WeightedCache(100)
    for key in ("a", "b", "c", "d"):
        cache.put(key, ord(key), 25)
    assert cache.held == 100, "exactly full keeps every entry"
    assert cache.get("a") == ord("a")  # now the most recently used
    cache.put("e", ord("e"), 1)
    assert cache.get("b") is None, "the least recently used left"
    assert [cache.get(key) for key in "acde"] == [ord(key) for key in "acde"]
    assert cache.held == 76


def test_a_key_already_held_keeps_its_first_value_and_weight():
    cache: WeightedCache[str] = WeightedCache(100)
    cache.put("k", "first", 10)
    cache.put("k", "second", 20)
    assert cache.get("k") == "first" and cache.held == 10


def test_clearing_empties_the_cache_and_its_weight():
    cache: WeightedCache[str] = WeightedCache(100)
    cache.put("k", "v", 10)
    cache.clear()
    assert cache.get("k") is None and cache.held == 0
    cache.put("k", "again", 10)
    assert cache.held == 10
