"""The request side where a backend insists: thinking models reject tool loops without reasoning_content.

Kimi and DeepSeek answer 400 "thinking is enabled but reasoning_content is missing in assistant tool
call message at index N" when any replayed assistant tool-call turn lacks the field, even a turn
that had no reasoning (bytedance/deer-flow#3043; HKUDS/nanobot#2598 and Lapis0x0/obsidian-yolo#243
send an empty string). The replay server records what the real plugin sends.
"""

from __future__ import annotations

import pytest

from testkit.plugin_driver import PluginProcess, llm_request
from testkit.replay_server import ReplayServer
from tests.replay.corpus import BY_NAME
from tests.replay.invoke import API_KEY, TOOLS

SOURCE = "bytedance/deer-flow#3043; HKUDS/nanobot#2598; Lapis0x0/obsidian-yolo#243"


def tool_turn(call_id: str, city: str, content: str = "") -> list[dict[str, object]]:
    call = {
        "id": call_id,
        "type": "function",
        "function": {"name": "get_weather", "arguments": f'{{"city": "{city}"}}'},
    }
    return [
        {"role": "assistant", "content": content, "tool_calls": [call]},
        {"role": "tool", "content": "18 C and sunny", "tool_call_id": call_id, "name": "get_weather"},
    ]


HISTORY = [
    {"role": "user", "content": "Weather in Paris and in Lyon?"},
    # A turn whose reasoning Dify kept inside the content, and one that had none at all.
    *tool_turn("functions.get_weather:0", "Paris", "<think>\nParis first.\n</think>"),
    *tool_turn("functions.get_weather:1", "Lyon"),
]


@pytest.mark.parametrize(
    ("model", "parameters"),
    [
        ("moonshotai/kimi-k2.6", {"thinking": True}),
        ("deepseek-ai/deepseek-v3.2", {"thinking": True}),
        ("deepseek-ai/deepseek-v4-flash", {}),  # always reasons; no switch
    ],
)
def test_every_replayed_tool_call_turn_carries_reasoning_content(
    local_plugin: PluginProcess, replay: ReplayServer, model: str, parameters: dict[str, object]
) -> None:
    answer = BY_NAME["deepseek_reasoning_content_then_answer"]
    replay.load(stream=answer.reply("stream"), blocking=answer.reply("blocking"))
    credentials = {"api_key": API_KEY, "endpoint_url": f"{replay.base_url}/v1"}
    result = local_plugin.request(
        llm_request(model, credentials, HISTORY, parameters=parameters, tools=TOOLS), timeout=90
    )
    assert result.ok, f"{result.error_type}: {result.message}"
    [sent] = replay.chat_requests()
    turns = [m for m in sent["messages"] if m["role"] == "assistant" and m.get("tool_calls")]
    assert len(turns) == 2, sent["messages"]
    reasoning = [turn.get("reasoning_content") for turn in turns]
    assert reasoning == ["Paris first.", ""], (
        f"{model}: replayed tool-call turns must carry reasoning_content (empty when there was none); "
        f"sent {reasoning}. Source: {SOURCE}"
    )
    assert all("<think>" not in (turn.get("content") or "") for turn in turns)
