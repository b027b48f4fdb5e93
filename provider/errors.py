"""Every failure -> the right Dify `Invoke*Error`, through one choke point that redacts secrets.

AtlasCloud answers errors with `{code, msg, request_id, data}` (not OpenAI's `{"error": ...}`),
its billing API with OpenAI's shape, and gateways with anything (HTML pages included); all are
read here so that every model type reports the server's own words plus the request id a
support ticket needs. Errors that a server reports inside a 200 reply keep their own code: no
HTTP status is invented.

Nothing that reaches Dify may carry the API key or URL credentials: `to_invoke_error` redacts,
and `guard` / `map_stream_errors` raise `from None`, because the SDK forwards chained
exceptions (with the upstream's text) in the traceback it sends to Dify.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Generator, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import httpx
from dify_plugin.errors.model import (
    CredentialsValidateFailedError,
    InvokeAuthorizationError,
    InvokeBadRequestError,
    InvokeConnectionError,
    InvokeError,
    InvokeRateLimitError,
    InvokeServerUnavailableError,
)

from provider.user_errors import UserInputError

if TYPE_CHECKING:
    from provider.connection import Connection

logger = logging.getLogger(__name__)

BILLING_URL = "https://www.atlascloud.ai/console/billing"
KEYS_URL = "https://www.atlascloud.ai/console/api-keys"
MAX_MESSAGE_CHARS = 400

# status -> (Dify error, what the user should do); anything else 4xx is a bad request, 5xx unavailable.
# 402 (balance used up) is a quota error, as OpenAI's insufficient_quota is: Dify replaces the text
# of every InvokeAuthorizationError with "Incorrect model credentials provided", which would hide
# the top-up link and mislead; a rate-limit error keeps the text and makes Dify's load balancing
# cool the key down.
_STATUS_TABLE: dict[int, tuple[type[InvokeError], str]] = {
    401: (InvokeAuthorizationError, f"The API key is missing, wrong or expired; create a new one at {KEYS_URL}."),
    402: (InvokeRateLimitError, f"Your AtlasCloud balance is insufficient; top up at {BILLING_URL} and retry."),
    403: (InvokeAuthorizationError, "This key may not use this model (for example a Coding Plan key)."),
    404: (InvokeBadRequestError, "Check the model id (full, case-sensitive, e.g. 'deepseek-ai/deepseek-v3.2')."),
    413: (InvokeBadRequestError, "The request is larger than AtlasCloud's 50 MB limit; send fewer or smaller files."),
    429: (InvokeRateLimitError, "The rate limit for this account and model was reached; retry later."),
}
# Error codes servers put inside a 200 reply, by the HTTP status they stand for.
_CODE_WORDS: dict[str, int] = {
    "rate_limit": 429,
    "too_many_requests": 429,
    "insufficient_quota": 402,
    "insufficient_balance": 402,
    "authentication": 401,
    "invalid_api_key": 401,
    "unauthorized": 401,
    "permission": 403,
    "forbidden": 403,
    "not_found": 404,
    "model_not_found": 404,
    "invalid_request": 400,
    "bad_request": 400,
    "context_length": 400,
}
# (pattern, replacement): URL credentials, then anything shaped like a key, ours or not.
_SECRET_PATTERNS = (
    (re.compile(r"(?<=://)[^/\s@]+@"), "***@"),
    (re.compile(r"\b(?:apikey|sk|ak)-[A-Za-z0-9_\-]{8,}"), "***"),
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._\-]{8,}"), "Bearer ***"),
)
_TAG = re.compile(r"<[^>]*>")
_TITLE = re.compile(r"(?is)<title[^>]*>(.*?)</title>")


class UpstreamError(Exception):
    """An error the server reported inside a 200 reply (an SSE event or the JSON body)."""

    def __init__(self, code: object, message: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id

    @property
    def status(self) -> int:
        """The HTTP status the code stands for (500 when it names none)."""
        return status_of_code(self.code)


class StatusError(Exception):
    """The server answered an HTTP error status; `body` is its JSON, else its text."""

    def __init__(self, status: int, body: Any, headers: Mapping[str, str] | None = None, reason: str = "") -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body
        self.headers = headers if headers is not None else {}
        self.reason = reason

    @property
    def request_id(self) -> str | None:
        """AtlasCloud's `request_id` (top level, or inside OpenAI's `error`), else the x-request-id header."""
        for holder in (self.body, self.body.get("error") if isinstance(self.body, dict) else None):
            if isinstance(holder, dict) and isinstance(holder.get("request_id"), str) and holder["request_id"]:
                return holder["request_id"]
        return self.headers.get("x-request-id")


class ReplyError(Exception):
    """The server's reply cannot be read (malformed JSON, HTML, non-UTF-8, an aborted answer)."""


class BudgetExceeded(Exception):
    """The plugin's own time budget for one invocation ran out."""


def status_of_code(code: object) -> int:
    """`429`, `"429"`, `"rate_limit_exceeded"` -> 429; anything unknown -> 500."""
    text = str(code).strip().lower() if code is not None else ""
    if text.isdigit() and 400 <= int(text) <= 599:
        return int(text)
    for word, status in _CODE_WORDS.items():
        if word in text:
            return status
    return 500


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Remove the API key (and anything shaped like a key or URL credentials) from `text`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def readable(body: object) -> str | None:
    """The human message of an error body: AtlasCloud's, OpenAI's, plain text or an HTML page."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, dict):
        for key in ("msg", "message", "detail", "error_description"):
            if isinstance(body.get(key), str) and body[key].strip():
                return _clip(body[key])
        nested = body.get("error")
        return readable(nested) if isinstance(nested, dict | str) else None
    if not isinstance(body, str) or not body.strip():
        return None
    if "<" in body and ">" in body:  # an HTML error page from a proxy or CDN
        title = _TITLE.search(body)
        body = html.unescape(_TAG.sub(" ", title.group(1) if title else body))
    return _clip(body)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 3] + "..."


def sentence(text: str) -> str:
    """`text` ending in exactly one full stop (servers often end their messages with one)."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def capitalised(text: str) -> str:
    """`text` as the start of a sentence ("the endpoint x" -> "The endpoint x")."""
    return text[:1].upper() + text[1:]


def _with_request_id(text: str, request_id: str | None) -> str:
    return f"{text} (request id: {request_id})" if request_id else text


def _classed(status: int) -> tuple[type[InvokeError], str]:
    if status in _STATUS_TABLE:
        return _STATUS_TABLE[status]
    if status >= 500:
        return InvokeServerUnavailableError, "The service is unavailable; retry later."
    return InvokeBadRequestError, ""


def error_for_status(status: int, message: str, request_id: str | None, label: str = "AtlasCloud") -> InvokeError:
    """A Dify error for an HTTP status the server really answered."""
    error_class, advice = _classed(status)
    text = f"{capitalised(label)} answered HTTP {status}: {sentence(message)} {advice}".rstrip()
    return error_class(_with_request_id(text, request_id))


def error_in_reply(error: UpstreamError, label: str = "AtlasCloud") -> InvokeError:
    """A Dify error for an error the server reported inside a 200 reply, by its own code."""
    error_class, advice = _classed(error.status)
    code = f" (code {error.code})" if error.code not in (None, "") else ""
    text = f"{capitalised(label)} reported an error in its reply{code}: {sentence(error.message)} {advice}".rstrip()
    return error_class(_with_request_id(text, error.request_id))


def to_invoke_error(error: BaseException, connection: Connection | None = None) -> InvokeError:
    """Map any failure to the right Dify error, with every secret removed."""
    label = connection.label if connection is not None else "AtlasCloud"
    secrets = (connection.api_key,) if connection is not None else ()
    mapped = _classify(error, label, secrets)
    return type(mapped)(redact(mapped.description or str(mapped), secrets))


def _classify(error: BaseException, label: str, secrets: tuple[str, ...]) -> InvokeError:
    if isinstance(error, InvokeError) and type(error) is not InvokeError:
        return error
    if isinstance(error, UserInputError):
        return InvokeBadRequestError(str(error))
    if isinstance(error, UpstreamError):
        return error_in_reply(error, label)
    if isinstance(error, ReplyError):
        return InvokeServerUnavailableError(
            f"{capitalised(label)} sent a reply the plugin cannot read: {sentence(str(error))}"
        )
    if isinstance(error, BudgetExceeded):
        return InvokeConnectionError(str(error))
    if isinstance(error, StatusError):
        message = readable(error.body) or error.reason or "no details"
        return error_for_status(error.status, message, error.request_id, label)
    if isinstance(error, httpx.TimeoutException):
        return InvokeConnectionError(
            f"{capitalised(label)} did not answer in time (timeout); retry, or check the network."
        )
    if isinstance(error, httpx.TransportError):
        return InvokeConnectionError(
            f"Could not reach {label}, or the connection dropped; retry, or check the network."
        )
    # Dify shows any class but the five Invoke*Error subclasses as raw JSON with the traceback.
    logger.error("unexpected failure while talking to %s: %s", label, redact(repr(error), secrets))
    return InvokeServerUnavailableError(
        f"The AtlasCloud plugin failed unexpectedly while talking to {label}; retry, or see the plugin log."
    )


def is_not_found(error: BaseException) -> bool:
    """The server answered 404: the model or route does not exist for this key."""
    return isinstance(error, StatusError | UpstreamError) and error.status == 404


@contextmanager
def guard(connection: Connection | None) -> Iterator[None]:
    """Anything raised inside becomes a redacted Dify error with no chained upstream exception."""
    try:
        yield
    except Exception as error:
        raise to_invoke_error(error, connection) from None


def validation_failed(
    error: BaseException, connection: Connection | None, prefix: str
) -> CredentialsValidateFailedError:
    """Why credentials failed: the user's own mistake in its words, else the mapped upstream error."""
    if isinstance(error, UserInputError):
        return CredentialsValidateFailedError(redact(str(error)))
    mapped = to_invoke_error(error, connection)
    return CredentialsValidateFailedError(f"{prefix}: {mapped.description}")


def map_stream_errors[T](
    chunks: Iterator[T], connection: Connection | None, on_close: Callable[[], None] | None = None
) -> Generator[T, None, None]:
    """Re-raise anything raised while a stream is iterated as a redacted Dify error.

    The SDK maps exceptions from `_invoke` itself but not those raised while Dify
    consumes the returned generator, which is when streamed requests actually run.
    """
    try:
        yield from chunks
    except GeneratorExit:
        raise
    except Exception as error:
        raise to_invoke_error(error, connection) from None
    finally:
        if on_close is not None:
            on_close()


def error_of_payload(payload: Any) -> UpstreamError | None:
    """An error object a server sent instead of (or inside) a completion, if this is one.

    Shapes seen: OpenAI's `{"error": {"message", "code", "type"}}` (OpenRouter sends it inside a
    chunk that also has `choices`), AtlasCloud's `{"code", "msg", "request_id"}`, vLLM's
    `{"object": "error", "message", "code"}`.
    """
    if not isinstance(payload, dict):
        return None
    nested = payload.get("error")
    if isinstance(nested, dict) and nested:
        code = nested.get("code") if nested.get("code") not in (None, "") else nested.get("type")
        return UpstreamError(code, readable(nested) or "no details", payload.get("request_id"))
    if isinstance(nested, str) and nested.strip():
        return UpstreamError(payload.get("code"), _clip(nested), payload.get("request_id"))
    if payload.get("choices"):
        return None
    is_envelope = "msg" in payload and "code" in payload
    if is_envelope or payload.get("object") == "error":
        code = payload.get("code")
        if is_envelope and str(code) in ("0", "200"):
            return None  # AtlasCloud's success envelope
        return UpstreamError(code or payload.get("type"), readable(payload) or "no details", payload.get("request_id"))
    return None
