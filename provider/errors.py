"""One table from AtlasCloud / transport failures to Dify's `Invoke*Error` classes.

AtlasCloud answers errors with `{code, msg, request_id, data}` (not OpenAI's `{"error": ...}`),
and its billing API with OpenAI's shape; both are read here so that every model type
reports the server's own words plus the request id a support ticket needs.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from typing import Any

import httpx2
import openai
from dify_plugin.errors.model import (
    InvokeAuthorizationError,
    InvokeBadRequestError,
    InvokeConnectionError,
    InvokeError,
    InvokeRateLimitError,
    InvokeServerUnavailableError,
)

BILLING_URL = "https://www.atlascloud.ai/console/billing"
KEYS_URL = "https://www.atlascloud.ai/console/api-keys"

# Every Dify error class a model may raise; the SDK's `_invoke_error_mapping` contract.
INVOKE_ERROR_MAPPING: dict[type[InvokeError], list[type[Exception]]] = {
    InvokeConnectionError: [openai.APIConnectionError, httpx2.TransportError],
    InvokeServerUnavailableError: [openai.InternalServerError],
    InvokeRateLimitError: [openai.RateLimitError],
    InvokeAuthorizationError: [openai.AuthenticationError, openai.PermissionDeniedError],
    InvokeBadRequestError: [openai.BadRequestError, openai.NotFoundError, openai.UnprocessableEntityError],
}


class UpstreamError(Exception):
    """An error AtlasCloud reported inside a 200 response (for example in a stream chunk)."""

    def __init__(self, status: int, message: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.request_id = request_id


def envelope_message(body: object) -> str | None:
    """The human message from either AtlasCloud's or OpenAI's error envelope."""
    if isinstance(body, str):
        return body.strip() or None
    if not isinstance(body, dict):
        return None
    for key in ("msg", "message"):
        if isinstance(body.get(key), str) and body[key].strip():
            return body[key].strip()
    nested = body.get("error")
    if isinstance(nested, dict | str):
        return envelope_message(nested)
    return None


def _request_id(error: openai.APIStatusError) -> str | None:
    body = error.body if isinstance(error.body, dict) else {}
    return body.get("request_id") or error.response.headers.get("x-request-id")


def _with_request_id(text: str, request_id: str | None) -> str:
    return f"{text} (request id: {request_id})" if request_id else text


# status -> (Dify error, what the user should do); anything else 4xx is a bad request, 5xx unavailable.
_STATUS_TABLE: dict[int, tuple[type[InvokeError], str]] = {
    401: (InvokeAuthorizationError, f"The API key is missing, wrong or expired; create a new one at {KEYS_URL}."),
    402: (InvokeAuthorizationError, f"Your AtlasCloud balance is insufficient; top up at {BILLING_URL} and retry."),
    403: (InvokeAuthorizationError, "This key may not use this model (for example a Coding Plan key)."),
    404: (InvokeBadRequestError, "Check the model id (full, case-sensitive, e.g. 'deepseek-ai/deepseek-v3.2')."),
    413: (InvokeBadRequestError, "The request is larger than AtlasCloud's 50 MB limit; send fewer or smaller files."),
    429: (InvokeRateLimitError, "AtlasCloud's rate limit for this account and model was reached; retry later."),
}


def error_for_status(status: int, message: str, request_id: str | None) -> InvokeError:
    """Pick the Dify error class and wording for an HTTP status from AtlasCloud."""
    if status in _STATUS_TABLE:
        error_class, advice = _STATUS_TABLE[status]
    elif status >= 500:
        error_class, advice = InvokeServerUnavailableError, "AtlasCloud is unavailable."
    else:
        error_class, advice = InvokeBadRequestError, ""
    text = f"AtlasCloud answered {status}: {message}. {advice}".rstrip()
    return error_class(_with_request_id(text, request_id))


def is_not_found(error: BaseException) -> bool:
    """AtlasCloud answered 404: the model or route does not exist for this key."""
    return isinstance(error, openai.NotFoundError) or (isinstance(error, UpstreamError) and error.status == 404)


def to_invoke_error(error: BaseException, secret: str | None = None) -> InvokeError:
    """Map any failure to the right Dify error, never echoing `secret` (the API key)."""
    mapped = _classify(error)
    if secret and secret in (mapped.description or ""):
        mapped = type(mapped)(mapped.description.replace(secret, "***"))
    return mapped


def _classify(error: BaseException) -> InvokeError:
    if isinstance(error, InvokeError):
        return error
    if isinstance(error, UpstreamError):
        return error_for_status(error.status, error.message, error.request_id)
    if isinstance(error, openai.APIStatusError):
        message = envelope_message(error.body) or error.response.reason_phrase or "no details"
        return error_for_status(error.status_code, message, _request_id(error))
    if isinstance(error, openai.APITimeoutError):
        return InvokeConnectionError("AtlasCloud did not answer in time (timeout); retry, or check the network.")
    if isinstance(error, openai.APIConnectionError | httpx2.TransportError):
        return InvokeConnectionError(f"Could not reach AtlasCloud or the connection dropped: {error}")
    if isinstance(error, openai.APIError):
        return InvokeServerUnavailableError(f"AtlasCloud reported an error: {error.message}")
    if isinstance(error, ValueError):
        return InvokeBadRequestError(str(error))
    return InvokeError(f"Unexpected failure ({type(error).__name__}): {error}")


def map_stream_errors[T](
    chunks: Iterator[T], secret: str | None, on_close: Callable[[], None] | None = None
) -> Generator[T, None, None]:
    """Re-raise anything raised while a stream is iterated as a Dify error.

    The SDK maps exceptions from `_invoke` itself but not those raised while Dify
    consumes the returned generator, which is when streamed requests actually run.
    """
    try:
        yield from chunks
    except GeneratorExit:
        raise
    except BaseException as error:
        if isinstance(error, KeyboardInterrupt | SystemExit):
            raise
        raise to_invoke_error(error, secret) from error
    finally:
        if on_close is not None:
            on_close()


def status_from_chunk(extra: dict[str, Any]) -> UpstreamError | None:
    """An AtlasCloud error envelope delivered as a stream chunk, if this is one."""
    if "msg" not in extra and "error" not in extra:
        return None
    code = extra.get("code")
    status = int(code) if isinstance(code, int | str) and str(code).isdigit() else 500
    return UpstreamError(status, envelope_message(extra) or "stream error", extra.get("request_id"))
