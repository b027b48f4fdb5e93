"""AtlasCloud's model list for user-added models: read leniently, cached per endpoint, never fatal
(issue 19, part 2). The fetch is a stand-in here; tests/e2e/test_llm_model_list.py uses HTTP."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from models.llm.model_list import REFRESH_THREAD, ListedModel, ModelListCache, parse_model_list
from models.llm.user_model import FALLBACK_CONTEXT, FALLBACK_MAX_TOKENS, resolve
from provider.connection import Connection
from provider.errors.tree import FormError, ReplyError, StatusError
from tests.unit.fakes import Clock

SNAPSHOT = Path(__file__).resolve().parents[1] / "data" / "atlascloud_models_snapshot.json"
ATLAS = Connection("https://api.atlascloud.ai/v1", "apikey-test-0123456789")
GATEWAY = Connection("https://gateway.example/v1", "apikey-test-0123456789")


def test_the_real_list_shape_is_read_with_exact_prices_and_readiness():
    models = parse_model_list(SNAPSHOT.read_bytes())
    v32 = models["deepseek-ai/deepseek-v3.2"]
    assert (v32.context_size, v32.max_output, v32.vision, v32.ready) == (163840, 163840, False, True)
    assert v32.features == {"json_mode", "structured_outputs", "tools", "reasoning"}
    assert (v32.input_price, v32.output_price, v32.cached_input_price) == (
        Decimal("0.27"),
        Decimal("0.38"),
        Decimal("0.13"),
    )
    assert models["moonshotai/kimi-k2.6"].vision is True
    assert models["minimaxai/minimax-m2.7"].ready is False
    assert models["deepseek-ai/deepseek-v4-pro"].max_output is None
    assert models["qwen/qwen3.5-flash"].cached_input_price is None


def test_a_gateway_list_of_ids_gives_no_metadata():
    models = parse_model_list(json.dumps({"object": "list", "data": [{"id": "my/model", "object": "model"}]}))
    assert models["my/model"] == ListedModel(id="my/model")


@pytest.mark.parametrize("body", [b"<html>", b'{"data": 3}', b'{"code": 500, "msg": "x", "data": []}', b"\xff"])
def test_what_is_not_a_model_list_is_a_reply_error(body):
    with pytest.raises(ReplyError):
        parse_model_list(body)


# --- resolving a user-added model -----------------------------------------------------------
LISTED = ListedModel(
    id="acme/thinker",
    context_size=200000,
    max_output=32000,
    vision=True,
    features=frozenset({"tools", "reasoning", "structured_outputs"}),
    input_price=Decimal("1"),
    output_price=Decimal("3"),
    cached_input_price=Decimal("0.25"),
)


def test_a_model_with_only_its_name_gets_the_lists_numbers():
    facts = resolve("acme/thinker", {"api_key": "k"}, LISTED)
    assert (facts.context_size, facts.max_tokens, facts.vision, facts.tools, facts.structured_output) == (
        200000,
        32000,
        True,
        True,
        True,
    )
    assert facts.reasoning == "switchable" and facts.reasoning_format == "field"
    assert (facts.input_price, facts.output_price, facts.cached_input_price) == (
        Decimal(1),
        Decimal(3),
        Decimal("0.25"),
    )


def test_typed_values_win_over_the_list():
    typed = {
        "context_size": "65536",
        "max_tokens": "4096",
        "vision_support": "no_support",
        "function_calling": "no_support",
        "structured_output": "no_support",
        "reasoning": "none",
        "input_price": "0.5",
        "output_price": "",  # empty: from the list
        "cached_input_price": "0.1",
        "reasoning_format": "template",
    }
    facts = resolve("acme/thinker", typed, LISTED)
    assert (facts.context_size, facts.max_tokens, facts.vision, facts.tools, facts.structured_output) == (
        65536,
        4096,
        False,
        False,
        False,
    )
    assert facts.reasoning == "none" and facts.reasoning_format == "template"
    assert (facts.input_price, facts.output_price, facts.cached_input_price) == (
        Decimal("0.5"),
        Decimal(3),
        Decimal("0.1"),
    )


def test_models_saved_with_the_old_defaults_keep_them_and_unknown_models_get_the_fallbacks():
    old_defaults = {
        "context_size": "131072",
        "max_tokens": "16384",
        "vision_support": "no_support",
        "function_calling": "support",
        "reasoning": "none",
        "structured_output": "no_support",
    }
    facts = resolve("acme/thinker", old_defaults, LISTED)
    assert (facts.context_size, facts.max_tokens, facts.vision, facts.reasoning) == (131072, 16384, False, "none")
    unknown = resolve("acme/ghost", {}, None)
    assert (unknown.context_size, unknown.max_tokens) == (FALLBACK_CONTEXT, FALLBACK_MAX_TOKENS)
    assert (unknown.vision, unknown.tools, unknown.structured_output, unknown.reasoning) == (False, True, False, "none")
    assert unknown.input_price is None and unknown.cached_input_price is None


def test_a_listed_minimax_model_reasons_without_a_switch_and_typed_garbage_is_a_form_error():
    minimax = ListedModel(id="minimaxai/minimax-m3", features=frozenset({"reasoning"}))
    assert resolve("minimaxai/minimax-m3", {}, minimax).reasoning == "always"
    with pytest.raises(FormError):
        resolve("acme/thinker", {"context_size": "lots"}, LISTED)


# --- the cache ------------------------------------------------------------------------------
class Fetches:
    def __init__(self, answers: list) -> None:
        self.answers = answers
        self.calls: list[str] = []

    def __call__(self, connection: Connection) -> dict[str, ListedModel]:
        self.calls.append(connection.base_url)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def wait_for_refresh(cache: ModelListCache) -> None:
    for thread in threading.enumerate():
        if thread.name == REFRESH_THREAD:
            thread.join(timeout=5)


def test_the_list_is_fetched_once_per_interval_per_endpoint_and_stale_lists_are_not_waited_for():
    clock = Clock()
    newer = {"acme/thinker": ListedModel(id="acme/thinker", context_size=1)}
    fetches = Fetches([{"acme/thinker": LISTED}, newer])
    cache = ModelListCache(fetches, clock.monotonic, ttl_s=600, retry_s=60)
    for _ in range(5):
        assert cache.lookup(ATLAS, "acme/thinker") == LISTED
    assert fetches.calls == [ATLAS.base_url]
    assert cache.lookup(GATEWAY, "acme/thinker") is not None and len(fetches.calls) == 2  # its own list
    clock.now += 601
    assert cache.lookup(ATLAS, "acme/thinker") == LISTED  # the stale list answers at once...
    wait_for_refresh(cache)
    assert cache.lookup(ATLAS, "acme/thinker").context_size == 1  # ...while the refresh runs behind it
    assert len(fetches.calls) == 3


def test_a_failed_fetch_is_logged_without_the_key_and_tried_again_after_the_retry_interval(caplog):
    clock = Clock()
    fetches = Fetches([ReplyError(f"boom {ATLAS.api_key}"), {"acme/thinker": LISTED}])
    cache = ModelListCache(fetches, clock.monotonic, ttl_s=600, retry_s=60)
    assert cache.lookup(ATLAS, "acme/thinker") is None
    assert cache.lookup(ATLAS, "acme/thinker") is None and len(fetches.calls) == 1  # not on every call
    assert "could not be read" in caplog.text and ATLAS.api_key not in caplog.text
    clock.now += 61
    cache.lookup(ATLAS, "acme/thinker")
    wait_for_refresh(cache)
    assert cache.lookup(ATLAS, "acme/thinker") == LISTED


def test_an_endpoint_without_the_route_is_asked_again_only_after_the_full_interval():
    clock = Clock()
    fetches = Fetches([StatusError(404, {"msg": "not found"})])
    cache = ModelListCache(fetches, clock.monotonic, ttl_s=600, retry_s=60)
    assert cache.lookup(GATEWAY, "my/model") is None
    clock.now += 120
    assert cache.lookup(GATEWAY, "my/model") is None
    assert len(fetches.calls) == 1


def test_concurrent_first_lookups_share_one_fetch():
    gate = threading.Event()
    calls: list[str] = []

    def slow_fetch(connection: Connection) -> dict[str, ListedModel]:
        calls.append(connection.base_url)
        gate.wait(5)
        return {"acme/thinker": LISTED}

    cache = ModelListCache(slow_fetch)
    results: list[ListedModel | None] = []
    threads = [threading.Thread(target=lambda: results.append(cache.lookup(ATLAS, "acme/thinker"))) for _ in range(4)]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join(10)
    assert results == [LISTED] * 4 and calls == [ATLAS.base_url]
