"""The worst sizes an LLM reply can take, through the real plugin, under the daemon's 5 MiB line cap.

The driver kills the plugin on a stdout line over the cap, exactly as dify-plugin-daemon does, so
each case passing means the line fit. The replay server sends one upstream delta (or one blocking
reply) of 8 MB, text whose JSON escaping costs the most bytes per character (control characters
become 6 bytes), and tool calls near the largest size a chunk may carry.
"""

from __future__ import annotations

import json

import pytest

from models.llm.stream import MAX_CHUNK_CHARS
from testkit.plugin_driver import DAEMON_MAX_LINE_BYTES, llm_request
from testkit.replay_server import Reply

MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507"
CREDS_KEY = "apikey-linecap-0000"
HELLO = [{"role": "user", "content": "write a lot"}]


def sse_reply(*deltas: dict, finish: str = "stop") -> Reply:
    events = [{"choices": [{"index": 0, "delta": delta, "finish_reason": None}]} for delta in deltas]
    events.append({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    body = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
    return Reply(body.encode(), content_type="text/event-stream")


def blocking_reply(message: dict, finish: str = "stop") -> Reply:
    return Reply(json.dumps({"choices": [{"index": 0, "message": message, "finish_reason": finish}]}).encode())


def invoke(local_plugin, replay, stream: bool, reply: Reply):
    replay.load(stream=reply if stream else None, blocking=None if stream else reply)
    credentials = {"api_key": CREDS_KEY, "endpoint_url": f"{replay.base_url}/v1"}
    return local_plugin.request(llm_request(MODEL, credentials, HELLO, stream=stream), timeout=120)


# The text that costs most per character once the SDK writes it as JSON: \u0001 is 6 bytes.
WORST_TEXT = "\u0001" * (MAX_CHUNK_CHARS * 3)
BIG_TEXT = "an eight megabyte answer " * (8 * 1024 * 1024 // 25)


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("text", [BIG_TEXT, WORST_TEXT], ids=["8MB", "escaped"])
def test_one_huge_delta_or_reply_is_split_under_the_cap(local_plugin, replay, stream, text):
    reply = sse_reply({"content": text}) if stream else blocking_reply({"role": "assistant", "content": text})
    result = invoke(local_plugin, replay, stream, reply)
    assert result.ok, result.error
    assert result.text() == text, "nothing lost, nothing added"
    assert len(result.outputs) >= 3
    assert local_plugin.alive and local_plugin.longest_line <= DAEMON_MAX_LINE_BYTES
    usage_chunks = [o for o in result.outputs if o["delta"].get("usage")]
    assert len(usage_chunks) == 1 and usage_chunks[0] is result.outputs[-1]


@pytest.mark.parametrize("stream", [True, False])
def test_the_largest_tool_calls_fit_and_a_larger_one_is_refused_in_words(local_plugin, replay, stream):
    fits = json.dumps({"blob": "\u0001" * (MAX_CHUNK_CHARS // 7)})
    calls = [{"index": n, "id": f"call_{n}", "function": {"name": "save", "arguments": fits}} for n in range(3)]
    reply = (
        sse_reply({"tool_calls": calls}, finish="tool_calls")
        if stream
        else blocking_reply({"role": "assistant", "content": None, "tool_calls": calls}, finish="tool_calls")
    )
    result = invoke(local_plugin, replay, stream, reply)
    assert result.ok, result.error
    assert [json.loads(c["function"]["arguments"]) for c in result.tool_calls()] == [json.loads(fits)] * 3
    assert local_plugin.longest_line <= DAEMON_MAX_LINE_BYTES

    too_big = json.dumps({"blob": "x" * (MAX_CHUNK_CHARS + 1)})
    call = [{"index": 0, "id": "call_big", "function": {"name": "save", "arguments": too_big}}]
    reply = (
        sse_reply({"tool_calls": call}, finish="tool_calls")
        if stream
        else blocking_reply({"role": "assistant", "content": None, "tool_calls": call}, finish="tool_calls")
    )
    refused = invoke(local_plugin, replay, stream, reply)
    assert refused.error_type == "InvokeServerUnavailableError" and "more than Dify accepts" in refused.message
    assert local_plugin.alive
