"""The chat call itself: one request, the raw reply read leniently, nothing lost, nothing blocked.

The reply's bytes are decoded here (sse.py, dialect.py) rather than by the openai client's typed
stream, which both rejects real dialects (bad JSON, `data: null`, arguments as objects) and costs
most of the plugin's CPU per chunk. provider/client.py sends the request and turns HTTP error
statuses into StatusError.

Streams are read by `ChatStream` on a thread of their own (a greenlet under the SDK's gevent):
it drains the upstream as fast as it arrives, and each batch handed to Dify carries everything
already waiting. A slow upstream gives one batch per delta, exactly as before; a fast one gives
a few large batches instead of thousands of tiny chunks, each of which the SDK would serialise
and write on its own. Nothing ever waits for more data, so the first chunk is never delayed.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from typing import Any

import httpx

from models.llm.dialect import Piece, piece_of
from models.llm.sse import DONE, SSEDecoder, parse_data
from provider.client import Client
from provider.deadline import Deadline, with_retries
from provider.errors.bodies import error_of_payload, readable
from provider.errors.tree import ReplyError, UpstreamError

_END = object()
MAX_HOLD_S = 0.02


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def open_chat(client: Client, request: dict[str, Any], deadline: Deadline) -> httpx.Response:
    """Send the request (retried within the deadline) and return the response with its body unread."""
    return with_retries(deadline, lambda timeout: client.open("/chat/completions", request, timeout))


def _kind(response: httpx.Response) -> str:
    content_type = response.headers.get("content-type", "").lower()
    if "html" in content_type:
        return "html"
    if "json" in content_type:
        return "json"
    return "sse"


def _pieces_of_event(name: str, data: str) -> Iterator[Piece]:
    if data.strip() in ("", "null"):
        return  # keep-alives some servers send as data
    if name == "error":
        try:
            payload = json.loads(data)
        except ValueError:
            payload = data
        if isinstance(payload, dict):
            code = payload.get("code") if payload.get("code") not in (None, "") else payload.get("type")
            raise error_of_payload(payload) or UpstreamError(code, readable(payload) or "no details")
        raise UpstreamError(None, readable(payload) or "no details")
    for payload in parse_data(data):
        piece = piece_of(payload)
        if piece is not None:
            yield piece


def pieces_of_whole_body(body: bytes, content_type: str = "json") -> list[Piece]:
    """A complete reply, blocking-style JSON or (from servers that ignore `stream: false`) SSE."""
    if content_type == "html":
        raise ReplyError(f"it answered with a web page instead of a completion ({readable(body)})")
    try:
        text = body.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ReplyError("its reply is not UTF-8 text") from None
    if not text:
        raise ReplyError("its reply was empty")
    if text.startswith(("data:", "event:", ":")):
        decoder = SSEDecoder()
        events = [*decoder.feed(body), *decoder.close()]
        return [p for event in events if event.data.strip() != DONE for p in _pieces_of_event(event.name, event.data)]
    try:
        payload = json.loads(text)
    except ValueError:
        raise ReplyError(f"its reply is not valid JSON ({readable(text[:200])})") from None
    piece = piece_of(payload)
    if piece is None:
        raise ReplyError("its reply holds no completion")
    if _without_message(payload):
        # `"message": null` with a finish reason would otherwise pass as an empty answer.
        raise ReplyError(f"its reply could not be read: the completion has no message ({_finish_of(piece)})")
    return [piece]


def _without_message(payload: dict[str, Any]) -> bool:
    """A whole completion whose choice carries neither a message nor legacy text."""
    choices = payload.get("choices")
    choice = choices[0] if isinstance(choices, list) and choices else choices
    if not isinstance(choice, dict):
        return False
    has_message = isinstance(choice.get("message"), dict) or isinstance(choice.get("delta"), dict)
    return not has_message and not isinstance(choice.get("text"), str) and not isinstance(payload.get("error"), dict)


def _finish_of(piece: Piece) -> str:
    return f"finish_reason '{piece.finish_reason}'" if piece.finish_reason else "no finish_reason"


def fetch_completion(client: Client, request: dict[str, Any], deadline: Deadline) -> list[Piece]:
    """A blocking call: the whole reply, read within the deadline."""
    response = open_chat(client, request, deadline)
    try:
        body = bytearray()
        for part in response.iter_bytes():
            body += part
            deadline.check()
        return pieces_of_whole_body(bytes(body), _kind(response))
    finally:
        response.close()


class ChatStream:
    """Reads one streamed reply on its own thread; `batches()` hands over what is waiting."""

    def __init__(self, response: httpx.Response, deadline: Deadline) -> None:
        self._response = response
        self._deadline = deadline
        self._items: deque[Any] = deque()
        self._ready = threading.Event()
        threading.Thread(target=self._pump, name="atlascloud-stream", daemon=True).start()

    def _put(self, item: Any) -> None:
        self._items.append(item)
        self._ready.set()

    def _pump(self) -> None:
        try:
            if _kind(self._response) != "sse":
                body = b"".join(self._response.iter_bytes())
                for piece in pieces_of_whole_body(body, _kind(self._response)):
                    self._put(piece)
                return
            self._read_events()
        except BaseException as error:  # handed to the consumer, which maps it
            self._put(_Failure(error))
        finally:
            self._put(_END)
            self._response.close()

    def _read_events(self) -> None:
        decoder = SSEDecoder()
        yielded_at = time.monotonic()
        for raw in self._response.iter_bytes():
            for event in decoder.feed(raw):
                if event.data.strip() == DONE:
                    return
                for piece in _pieces_of_event(event.name, event.data):
                    self._items.append(piece)
            self._ready.set()
            # Reading yields whenever the socket is empty; an upstream that never pauses still
            # lets the consumer send what is waiting every MAX_HOLD_S (greenlets never pre-empt).
            if time.monotonic() - yielded_at > MAX_HOLD_S:
                time.sleep(0)
                yielded_at = time.monotonic()
        for event in decoder.close():
            if event.data.strip() != DONE:
                for piece in _pieces_of_event(event.name, event.data):
                    self._put(piece)

    def batches(self) -> Iterator[list[Piece]]:
        """Everything waiting, as one batch per wait; raises what the reader met, after the text
        that came before it."""
        while True:
            self._deadline.check()
            if not self._items:
                self._ready.clear()
                if not self._items and not self._ready.wait(timeout=max(self._deadline.remaining(), 0.0)):
                    raise self._deadline.exceeded()
            batch: list[Piece] = []
            while self._items:
                item = self._items.popleft()
                if item is _END or isinstance(item, _Failure):
                    if batch:
                        yield batch
                    if isinstance(item, _Failure):
                        raise item.error
                    return
                batch.append(item)
            if batch:
                yield batch

    def close(self) -> None:
        self._response.close()
