"""A local AtlasCloud simulator on 127.0.0.1 that behaves as `atlascloud-api.md` documents.

- Errors use AtlasCloud's `{code, msg, request_id, data}` envelope (the billing API uses
  OpenAI's `{"error": {...}}`); every response carries `X-Request-ID`.
- `GET /v1/models` answers without a key; everything else checks `Authorization: Bearer`.
- Thinking models stream `reasoning_content` before the answer; parallel tool calls stream as
  interleaved deltas where only a call's first fragment carries its id and name.
- Usage is sent in streams only when `stream_options.include_usage` asks for it.
- Faults are queued from the test (`inject`) and every request is recorded (`requests`).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from testkit.simulator import behaviour, embeddings, media, ranker
from testkit.simulator.catalog import SIM_MODELS, SimModel

DEFAULT_KEY = "apikey-simulator-0123456789abcdef"


@dataclass
class Fault:
    """What to do instead of a normal answer, for the next `times` matching requests."""

    kind: str  # "status" | "drop" | "stream_error" | "no_finish" | "hang" | "trickle"
    status: int = 500
    message: str = "simulated failure"
    times: int = 1
    path: str = "/v1/chat/completions"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class SimState:
    api_key: str = DEFAULT_KEY
    models: dict[str, SimModel] = field(default_factory=lambda: dict(SIM_MODELS))
    balance: str = "ok"  # "ok" | "forbidden" | "absent" | "insufficient" | "broken"
    models_listed: bool = True
    # How a wrong key is refused: AtlasCloud says 401; some gateways (LiteLLM) say 400 to every call.
    bad_key_status: int = 401
    send_usage: bool = True
    embeddings_enabled: bool = False
    chat_latency_s: float = 0.0  # added before every chat answer (benchmarks)
    # Benchmarks: every streamed answer is this many one-word deltas, this far apart.
    stream_deltas: int = 0
    delta_gap_s: float = 0.0
    embedding: embeddings.EmbeddingConfig = field(default_factory=embeddings.EmbeddingConfig)
    ranker: ranker.RankerConfig = field(default_factory=ranker.RankerConfig)
    variants: behaviour.Variants = field(default_factory=behaviour.Variants)
    # Stand-in for Dify's file server: name -> (bytes, content type) or a redirect target.
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    media: media.MediaState = field(default_factory=media.MediaState)  # the asynchronous media API
    lock: threading.Lock = field(default_factory=threading.Lock)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up mid-stream are part of the tests, not failures


class Simulator:
    """Start with `Simulator().start()`; `base_url` is what the plugin's endpoint_url gets."""

    def __init__(self, api_key: str = DEFAULT_KEY) -> None:
        self.state = SimState(api_key=api_key)
        self._server = _QuietServer(("127.0.0.1", 0), _handler_for(self.state))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def file_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/files"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> Simulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def inject(self, kind: str, **options: Any) -> None:
        with self.state.lock:
            self.state.faults.append(Fault(kind=kind, **options))

    def reset(self) -> None:
        with self.state.lock:
            self.state.faults.clear()
            self.state.requests.clear()
            self.state.send_usage = True
            self.state.balance = "ok"
            self.state.models_listed = True
            self.state.bad_key_status = 401
            self.state.embeddings_enabled = False
            self.state.chat_latency_s = 0.0
            self.state.stream_deltas = 0
            self.state.delta_gap_s = 0.0
            self.state.embedding = embeddings.EmbeddingConfig()
            self.state.ranker = ranker.RankerConfig()
            self.state.variants = behaviour.Variants()
            self.state.files.clear()
            self.state.redirects.clear()
        self.state.media.reset()

    def requests(self, path: str | None = None) -> list[Recorded]:
        with self.state.lock:
            return [r for r in self.state.requests if path is None or r.path == path]

    def last_body(self, path: str = "/v1/chat/completions") -> Any:
        found = self.requests(path)
        return found[-1].body if found else None


def _handler_for(state: SimState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        # --- plumbing -------------------------------------------------------------
        def _send_json(self, status: int, payload: Any) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Request-ID", self.request_id)
            self.end_headers()
            self.wfile.write(body)

        def _send_raw(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _envelope(self, status: int, message: str) -> None:
            self._send_json(status, {"code": status, "msg": message, "request_id": self.request_id, "data": None})

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                return json.loads(raw) if raw else None
            except ValueError:
                return raw.decode("utf-8", "replace")

        def _authorised(self) -> bool:
            return self.headers.get("Authorization") == f"Bearer {state.api_key}"

        def _take_fault(self) -> Fault | None:
            with state.lock:
                for fault in state.faults:
                    if fault.path == self.path and fault.times > 0:
                        fault.times -= 1
                        return fault
            return None

        def _record(self, body: Any) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            with state.lock:
                state.requests.append(Recorded(self.command, self.path, headers, body))

        # --- routes ---------------------------------------------------------------
        def do_GET(self) -> None:
            self.request_id = uuid.uuid4().hex
            self._record(None)
            if media.serves(self.path):
                return media.get(self, state)
            if self.path == "/v1/models" and state.models_listed:
                time.sleep(state.variants.models_delay_s)
                if state.variants.models_body is not None:
                    return self._send_raw(state.variants.models_body)
                data = [model.listing() for model in state.models.values()]
                return self._send_json(200, {"code": 200, "msg": "success", "data": data})
            if self.path == "/public/v1/balance":
                return self._balance()
            if self.path == "/_sim/requests":  # request counts, for benchmarks in another process
                with state.lock:
                    counts: dict[str, int] = {}
                    for recorded in state.requests:
                        counts[recorded.path] = counts.get(recorded.path, 0) + 1
                return self._send_json(200, counts | {"/v1/embeddings": counts.get("/v1/embeddings", 0)})
            if self.path.startswith("/files/"):
                return self._file(self.path.removeprefix("/files/"))
            return self._envelope(401 if not self._authorised() else 404, "not found")

        def _file(self, name: str) -> None:
            if name in state.redirects:
                self.send_response(302)
                self.send_header("Location", state.redirects[name])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            if name not in state.files:
                return self._envelope(404, "no such file")
            data, content_type = state.files[name]
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return None

        def _balance(self) -> None:
            fault = self._take_fault()
            if fault and fault.kind == "status":
                return self._envelope(fault.status, fault.message)
            if state.balance == "absent":  # a gateway without the billing route: 404 whatever the key
                return self._envelope(404, "not found")
            if not self._authorised():
                error = {
                    "type": "authentication_error",
                    "code": "invalid_api_key",
                    "message": "Invalid API key",
                }
                return self._send_json(401, {"error": error, "request_id": self.request_id})
            if state.balance == "forbidden":
                error = {
                    "type": "permission_error",
                    "code": "forbidden",
                    "message": "missing balance permission",
                }
                return self._send_json(403, {"error": error, "request_id": self.request_id})
            if state.balance == "broken":
                return self._envelope(500, "billing service unavailable")
            value = "0.000000" if state.balance == "insufficient" else "125.500000"
            return self._send_json(200, {"value": value, "currency": "usd"})

        def do_POST(self) -> None:
            self.request_id = uuid.uuid4().hex
            if media.serves(self.path):  # multipart uploads too: it reads its own body
                return media.post(self, state)
            body = self._body()
            self._record(body)
            if not self._authorised():
                if state.bad_key_status != 401:  # LiteLLM-style gateway refusal in OpenAI's shape
                    error = {
                        "message": "Authentication Error, invalid proxy token",
                        "type": "auth_error",
                        "code": "400",
                    }
                    return self._send_json(state.bad_key_status, {"error": error})
                return self._envelope(401, "unauthorized")
            fault = self._take_fault()
            if fault and fault.kind == "status":
                return self._envelope(fault.status, fault.message)
            if fault and fault.kind == "hang":
                time.sleep(fault.status)  # seconds, then answer normally
            if fault and fault.kind == "trickle":
                return self._trickle(fault.status)
            if not isinstance(body, dict):
                return self._envelope(400, "request body is not valid JSON")
            if self.path == "/v1/chat/completions":
                return self._chat(body, fault)
            if self.path == "/v1/embeddings" and state.embeddings_enabled:
                status, payload = embeddings.answer(body, state.embedding, state.send_usage)
                if status != 200:
                    return self._envelope(status, payload["msg"])
                return self._send_json(200, payload)
            if self.path == "/v1/rerank" and state.ranker.native_enabled:
                status, payload = ranker.native_rerank(body, state.ranker)
                if status != 200:
                    return self._envelope(status, payload["msg"])
                return self._send_json(200, payload)
            return self._envelope(404, f"no route for {self.path}")

        def _trickle(self, seconds: int) -> None:
            """A gateway that keeps a blocking reply alive with a space every 0.2 s (JSON allows
            leading whitespace) for `seconds`, then sends nothing more."""
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            end = time.monotonic() + seconds
            with contextlib.suppress(OSError):  # the plugin hangs up when its budget is spent
                while time.monotonic() < end:
                    self.wfile.write(b"1\r\n \r\n")
                    self.wfile.flush()
                    time.sleep(0.2)

        def _chat(self, body: dict[str, Any], fault: Fault | None) -> None:
            model = state.models.get(str(body.get("model")))
            if model is None:
                return self._envelope(404, f"model {body.get('model')!r} not found or not available to your account")
            problem = behaviour.validate_chat(body, model)
            if problem:
                return self._envelope(400, problem)
            time.sleep(state.chat_latency_s)
            reply = behaviour.plan_reply(body, model, state.ranker)
            with state.lock:
                reply.cached_tokens = behaviour.cached_tokens(body, model, state.variants)
            if not body.get("stream"):
                return self._send_json(200, behaviour.completion(body, reply, state.send_usage, state.variants))
            include_usage = bool((body.get("stream_options") or {}).get("include_usage")) and state.send_usage
            if state.stream_deltas:
                reply.content, reply.reasoning = "tok " * state.stream_deltas, ""
                events = behaviour.stream_events(body, reply, include_usage, piece_chars=4, variants=state.variants)
                return self._stream(events, fault, gap_s=state.delta_gap_s)
            events = behaviour.stream_events(body, reply, include_usage, variants=state.variants)
            self._stream(events, fault, gap_s=state.delta_gap_s)

        def _stream(self, events: Iterator[dict[str, Any]], fault: Fault | None, gap_s: float = 0.0) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("X-Request-ID", self.request_id)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for number, event in enumerate(events):
                if fault and number == 3:
                    if fault.kind == "drop":
                        self.wfile.write(b"0")  # a broken chunked body, then the socket goes away
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    if fault.kind == "stream_error":
                        error = {"code": fault.status, "msg": fault.message, "request_id": self.request_id}
                        self._write_chunk(f"data: {json.dumps(error)}\n\n")
                        break
                if (
                    fault
                    and fault.kind == "no_finish"
                    and event.get("choices")
                    and event["choices"][0].get("finish_reason")
                ):
                    break
                self._write_chunk(f"data: {json.dumps(event)}\n\n")
                if gap_s:
                    time.sleep(gap_s)
            else:
                self._write_chunk("data: [DONE]\n\n")
            if fault and fault.kind in ("stream_error", "no_finish"):
                self._write_chunk("data: [DONE]\n\n")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def _write_chunk(self, text: str) -> None:
            data = text.encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

    return Handler
