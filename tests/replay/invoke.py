"""How a replay test talks to the plugin: the request Dify would send, against the replay server."""

from __future__ import annotations

from testkit.plugin_driver import PluginProcess, SessionResult, llm_request
from testkit.replay_server import ReplayServer
from tests.replay.spec import Case

MODEL = "moonshotai/kimi-k2.6"
DECLARED_MODEL = "replay/self-hosted-r1"
API_KEY = "apikey-replay-0000"
PROMPT = [{"role": "user", "content": "What's the weather in Paris?"}]


def tool(name: str, description: str, properties: dict[str, dict[str, str]]) -> dict[str, object]:
    return {
        "name": name,
        "description": description,
        "parameters": {"type": "object", "properties": properties, "required": list(properties)},
    }


TOOLS = [
    tool("get_weather", "Current weather in a city", {"city": {"type": "string"}}),
    tool("get_forecast", "Forecast for a city", {"city": {"type": "string"}, "days": {"type": "integer"}}),
    tool("get_time", "The current time", {}),
    tool("read_file", "Read a file", {"path": {"type": "string"}}),
]


def replay_case(plugin: PluginProcess, server: ReplayServer, case: Case, mode: str) -> SessionResult:
    assert plugin.alive, f"the plugin process died before {case.name}: {plugin.stderr_tail()}"
    server.load(stream=case.reply("stream"), blocking=case.reply("blocking"))
    credentials = {"api_key": API_KEY, "endpoint_url": f"{server.base_url}/v1"}
    model = MODEL
    if case.reasoning_format is not None:  # a user-added model that declares its server's dialect
        model = DECLARED_MODEL
        credentials |= {"reasoning": "always", "reasoning_format": case.reasoning_format}
    request = llm_request(model, credentials, PROMPT, tools=TOOLS, stream=mode == "stream")
    return plugin.request(request, timeout=90)
