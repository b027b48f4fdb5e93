"""Start the plugin exactly as Dify's daemon does and speak its wire protocol.

stdio (`INSTALL_METHOD=local`): `python -m main` with cwd = the plugin directory; requests are
JSON lines on stdin, events are JSON lines on stdout; the first heartbeat means ready.
serverless (`INSTALL_METHOD=serverless`): the same request JSON is POSTed to `/invoke`; the
chunked reply carries that session's events; `GET /health` means ready.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PLUGIN_DIR = Path(__file__).resolve().parent.parent
READY_TIMEOUT_S = 60
# dify-plugin-daemon reads plugin output with a bufio.Scanner capped at PLUGIN_RUNTIME_MAX_BUFFER_SIZE
# (5 MiB): a line plus its newline must fit, or the scan fails. On stdio the daemon then kills the
# plugin process (internal/core/local_runtime/instance.go: StartStdout); in serverless mode the
# session fails (internal/core/serverless_runtime/io.go). The driver does the same.
DAEMON_MAX_LINE_BYTES = 5 * 1024 * 1024 - 1


class ProtocolError(RuntimeError):
    pass


class LineCapExceeded(ProtocolError):
    """The plugin wrote a line the real daemon cannot read: in production this kills the plugin."""


@dataclass
class SessionResult:
    """Every `stream` payload of one session, and its error if it failed."""

    outputs: list[Any] = field(default_factory=list)
    error: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def error_type(self) -> str | None:
        return self.error.get("error_type") if self.error else None

    @property
    def message(self) -> str:
        return self.error.get("message", "") if self.error else ""

    def single(self) -> Any:
        if self.error:
            raise ProtocolError(f"session failed: {self.error_type}: {self.message}")
        if len(self.outputs) != 1:
            raise ProtocolError(f"expected one output, got {len(self.outputs)}")
        return self.outputs[0]

    def text(self) -> str:
        """The concatenated assistant text of an invoke_llm session."""
        return "".join(o["delta"]["message"].get("content") or "" for o in self.outputs)

    def tool_calls(self) -> list[dict[str, Any]]:
        return [c for o in self.outputs for c in o["delta"]["message"].get("tool_calls") or []]

    def usage(self) -> dict[str, Any] | None:
        found = [o["delta"]["usage"] for o in self.outputs if o["delta"].get("usage")]
        return found[-1] if found else None

    def audio(self) -> bytes:
        """The audio of an invoke_tts session: every chunk's hex, decoded and joined in order."""
        return b"".join(bytes.fromhex(o["result"]) for o in self.outputs)

    def finish_reason(self) -> str | None:
        found = [o["delta"]["finish_reason"] for o in self.outputs if o["delta"].get("finish_reason")]
        return found[-1] if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PluginProcess:
    """One running plugin; use as a context manager so it is always stopped."""

    def __init__(
        self,
        mode: str = "local",
        extra_env: dict[str, str] | None = None,
        plugin_dir: Path = PLUGIN_DIR,
        python: str = sys.executable,  # the daemon starts the plugin's own .venv/bin/python
    ) -> None:
        if mode not in ("local", "serverless"):
            raise ValueError(mode)
        self.mode = mode
        self.port = _free_port() if mode == "serverless" else 0
        env = {k: v for k, v in os.environ.items() if not k.startswith(("REMOTE_INSTALL", "SERVERLESS_"))}
        env.update({"INSTALL_METHOD": mode, "HEARTBEAT_INTERVAL": "1", "PYTHONUNBUFFERED": "1"})
        if mode == "serverless":
            env.update({"SERVERLESS_HOST": "127.0.0.1", "SERVERLESS_PORT": str(self.port)})
        env.update(extra_env or {})
        self.stderr_lines: list[str] = []
        self.stdout_lines: list[str] = []
        # Raw session events as received, from stdout (local) or HTTP bodies (serverless).
        self.wire_lines: list[str] = []
        # The size of the longest line the plugin wrote, and why the driver killed it (if it did).
        self.longest_line = 0
        self.killed_for: str | None = None
        self._sessions: dict[str, queue.Queue[dict[str, Any] | None]] = {}
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._ready = threading.Event()
        self.process = subprocess.Popen(
            [python, "-m", "main"],
            cwd=plugin_dir,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    # --- lifecycle ---------------------------------------------------------------------
    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ProtocolError(f"plugin exited with {self.process.returncode}: {self.stderr_tail()}")
            if self.mode == "local" and self._ready.wait(0.1):
                return
            if self.mode == "serverless" and self._health():
                return
            time.sleep(0.05)
        raise ProtocolError(f"plugin not ready after {READY_TIMEOUT_S}s: {self.stderr_tail()}")

    def _health(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        """Stop by PID: closing stdin does not end a plugin (it spins on EOF)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream:
                with contextlib.suppress(BrokenPipeError):  # the process is gone; so is its pipe
                    stream.close()

    def __enter__(self) -> PluginProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stderr_tail(self, lines: int = 30) -> str:
        return "\n".join(self.stderr_lines[-lines:])

    # --- stdio plumbing ----------------------------------------------------------------
    def _read_stdout(self) -> None:
        assert self.process.stdout
        for raw in self.process.stdout:
            size = len(raw.rstrip(b"\n"))
            self.longest_line = max(self.longest_line, size)
            if size > DAEMON_MAX_LINE_BYTES:
                self._kill_for_long_line(size)
                return
            line = raw.decode("utf-8", "replace").strip()
            if not line:
                continue
            self.stdout_lines.append(line)
            if '"session"' in line:
                self.wire_lines.append(line)
            try:
                event = json.loads(line)
            except ValueError:
                continue  # e.g. Flask's banner in serverless mode
            self._dispatch(event)

    def _kill_for_long_line(self, size: int) -> None:
        """What the daemon does when a stdout line overflows its scanner: kill the process,
        failing every session on it."""
        self.killed_for = f"stdout line of {size} bytes exceeds the daemon's {DAEMON_MAX_LINE_BYTES + 1}-byte buffer"
        self.process.kill()
        with self._lock:
            inboxes = list(self._sessions.values())
        for inbox in inboxes:
            inbox.put(None)

    def _read_stderr(self) -> None:
        assert self.process.stderr
        for raw in self.process.stderr:
            self.stderr_lines.append(raw.decode("utf-8", "replace").rstrip())

    def _dispatch(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "heartbeat":
            self._ready.set()
        elif kind == "session":
            with self._lock:
                target = self._sessions.get(event.get("session_id"))
            if target is not None:
                target.put(event["data"])
        elif kind == "error" and event.get("session_id"):
            with self._lock:
                target = self._sessions.get(event["session_id"])
            if target is not None:
                target.put({"type": "error", "data": event["data"]})
                target.put({"type": "end", "data": {}})

    # --- requests ----------------------------------------------------------------------
    def request(
        self, data: dict[str, Any], timeout: float = 120, on_output: Callable[[Any], None] | None = None
    ) -> SessionResult:
        session_id = f"s-{uuid.uuid4().hex}"
        envelope = {
            "session_id": session_id,
            "event": "request",
            "conversation_id": None,
            "message_id": None,
            "app_id": None,
            "endpoint_id": None,
            "context": {},
            "data": data,
        }
        if self.mode == "serverless":
            return self._request_http(envelope, timeout, on_output)
        if self.killed_for:
            raise LineCapExceeded(f"plugin was killed: {self.killed_for}")
        inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        line = (json.dumps(envelope) + "\n").encode()
        with self._lock:
            self._sessions[session_id] = inbox
        assert self.process.stdin
        with self._write_lock:  # one writer at a time: tests send concurrent requests from threads
            self.process.stdin.write(line)
            self.process.stdin.flush()
        try:
            return _collect(lambda: self._next_message(inbox, timeout), on_output)
        except queue.Empty as error:
            raise ProtocolError(f"no end of session within {timeout}s: {self.stderr_tail()}") from error
        finally:
            with self._lock:
                self._sessions.pop(session_id, None)

    def _next_message(self, inbox: queue.Queue[dict[str, Any] | None], timeout: float) -> dict[str, Any]:
        message = inbox.get(timeout=timeout)
        if message is None:
            raise LineCapExceeded(f"plugin was killed: {self.killed_for}")
        return message

    def _request_http(
        self, envelope: dict[str, Any], timeout: float, on_output: Callable[[Any], None] | None
    ) -> SessionResult:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/invoke",
            data=json.dumps(envelope).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw_body = response.read()
        for raw_line in raw_body.split(b"\n"):
            self.longest_line = max(self.longest_line, len(raw_line))
            if len(raw_line) > DAEMON_MAX_LINE_BYTES:
                raise LineCapExceeded(
                    f"serverless reply line of {len(raw_line)} bytes exceeds the daemon's "
                    f"{DAEMON_MAX_LINE_BYTES + 1}-byte buffer: the daemon fails this session"
                )
        body = raw_body.decode("utf-8")
        self.wire_lines += [line for line in body.split("\n") if line.strip()]
        messages = iter(json.loads(line)["data"] for line in body.split("\n") if line.strip() and '"session"' in line)
        return _collect(lambda: next(messages, {"type": "end", "data": {}}), on_output)


def _collect(next_message: Callable[[], Any], on_output: Callable[[Any], None] | None) -> SessionResult:
    result = SessionResult()
    while True:
        message = next_message()
        if message["type"] == "stream":
            result.outputs.append(message["data"])
            if on_output is not None:
                on_output(message["data"])
        elif message["type"] == "error":
            result.error = message["data"]
        elif message["type"] == "end":
            return result


# --- request builders (the payloads Dify sends) --------------------------------------------
def llm_request(
    model: str,
    credentials: dict[str, Any],
    messages: list[dict[str, Any]],
    *,
    parameters: dict[str, Any] | None = None,
    tools: list[dict[str, Any]] | None = None,
    stop: list[str] | None = None,
    stream: bool = True,
) -> dict[str, Any]:
    return {
        "type": "model",
        "action": "invoke_llm",
        "user_id": "user-1",
        "provider": "atlascloud",
        "model_type": "llm",
        "model": model,
        "credentials": credentials,
        "prompt_messages": messages,
        "model_parameters": parameters or {},
        "stop": stop,
        "tools": tools,
        "stream": stream,
    }


def action_request(
    action: str, model_type: str, model: str | None, credentials: dict[str, Any], **payload: Any
) -> dict[str, Any]:
    data = {
        "type": "model",
        "action": action,
        "user_id": "user-1",
        "provider": "atlascloud",
        "model_type": model_type,
        "credentials": credentials,
        **payload,
    }
    if model is not None:
        data["model"] = model
    return data
