"""Every corpus case, replayed byte for byte to the REAL plugin process, in each mode it has.

One stdio plugin process serves the whole module (as Dify's daemon runs one), so every case also
proves the plugin survived the one before; a representative subset runs again through the
serverless (HTTP) transport. A failure names the case, its mode and the public source it models.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from testkit.plugin_driver import PluginProcess, SessionResult
from testkit.replay_server import ReplayServer
from tests.replay.checks import check_failure, check_success, describe
from tests.replay.corpus import BY_NAME, CASES, Case
from tests.replay.invoke import API_KEY, replay_case

# One case per family for the HTTP transport: tools, reasoning, endings, errors, framing.
SERVERLESS_SUBSET = (
    "tool_second_call_reuses_index_zero",
    "tool_arguments_as_json_object",
    "reasoning_content_and_inline_think_together",
    "done_without_any_finish_reason",
    "vllm_finish_reason_abort",
    "connection_dropped_mid_answer",
    "sse_error_event_rate_limited",
    "html_502_cloudflare_page",
    "openrouter_processing_comments",
)


def params(cases: tuple[Case, ...]) -> list[object]:
    return [pytest.param(case, mode, id=f"{case.name}-{mode}") for case in cases for mode in case.modes()]


@pytest.fixture(scope="module")
def serverless_plugin() -> Iterator[PluginProcess]:
    process = PluginProcess("serverless")
    yield process
    process.stop()


def verify(plugin: PluginProcess, server: ReplayServer, case: Case, mode: str, result: SessionResult) -> None:
    problems = check_failure(case, mode, result) if case.expect.error else check_success(case, mode, result)
    sent = server.chat_requests()
    if not sent:
        problems.append("the plugin never called POST /v1/chat/completions")
    elif any(body.get("stream") is not (mode == "stream") for body in sent):
        problems.append(f"the plugin asked for the wrong mode: {[body.get('stream') for body in sent]}")
    if API_KEY in json.dumps(result.outputs) + result.message:
        problems.append("the API key appears in what the plugin returned")
    if not plugin.alive:
        problems.append(f"the plugin process died: {plugin.stderr_tail()}")
    assert not problems, describe(case, mode, result, problems)


@pytest.mark.parametrize(("case", "mode"), params(CASES))
def test_dialect_through_the_plugin(local_plugin: PluginProcess, replay: ReplayServer, case: Case, mode: str) -> None:
    result = replay_case(local_plugin, replay, case, mode)
    verify(local_plugin, replay, case, mode, result)


@pytest.mark.parametrize(("case", "mode"), params(tuple(BY_NAME[name] for name in SERVERLESS_SUBSET)))
def test_dialect_through_the_serverless_plugin(
    serverless_plugin: PluginProcess, replay: ReplayServer, case: Case, mode: str
) -> None:
    result = replay_case(serverless_plugin, replay, case, mode)
    verify(serverless_plugin, replay, case, mode, result)


def test_the_corpus_is_large_and_sourced() -> None:
    assert len(CASES) >= 45
    assert all(case.source.strip() and case.modes() for case in CASES)
    assert sum(len(case.modes()) for case in CASES) > len(CASES)
