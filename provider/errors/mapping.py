"""The one choke point: any failure -> the right Dify `Invoke*Error`, with every secret removed.

Every model type reports failures through `to_invoke_error` (directly, through `guard`, or
through `map_stream_errors` while a stream is consumed). Each branch of the error tree
(tree.py) has one Dify class: the user's input is a bad request, the upstream's refusal goes by
its status, an unreadable reply is the server's fault (never the user's), a spent time budget
is a connection error. Errors that a server reports inside a 200 reply keep their own code: no
HTTP status is invented.

Nothing that reaches Dify may carry the API key or URL credentials: `to_invoke_error` redacts,
and `guard` / `map_stream_errors` raise `from None`, because the SDK forwards chained
exceptions (with the upstream's text) in the traceback it sends to Dify.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager

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

from provider.connection import Connection
from provider.errors.bodies import readable
from provider.errors.redact import redact
from provider.errors.tree import (
    InstallError,
    LimitExceeded,
    ReplyError,
    StatusError,
    UpstreamError,
    UpstreamRefusal,
    UserInputError,
)
from provider.errors.wording import capitalised, sentence, with_request_id

logger = logging.getLogger(__name__)

BILLING_URL = "https://www.atlascloud.ai/console/billing"
KEYS_URL = "https://www.atlascloud.ai/console/api-keys"

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
    return error_class(with_request_id(text, request_id))


def error_in_reply(error: UpstreamError, label: str = "AtlasCloud") -> InvokeError:
    """A Dify error for an error the server reported inside a 200 reply, by its own code."""
    error_class, advice = _classed(error.status)
    code = f" (code {error.code})" if error.code not in (None, "") else ""
    text = f"{capitalised(label)} reported an error in its reply{code}: {sentence(error.message)} {advice}".rstrip()
    return error_class(with_request_id(text, error.request_id))


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
    if isinstance(error, StatusError):
        message = readable(error.body) or error.reason or "no details"
        return error_for_status(error.status, message, error.request_id, label)
    if isinstance(error, ReplyError):
        return InvokeServerUnavailableError(
            f"{capitalised(label)} sent a reply the plugin cannot read: {sentence(str(error))}"
        )
    if isinstance(error, LimitExceeded):
        return InvokeConnectionError(str(error))
    if isinstance(error, InstallError):
        logger.error("the plugin's install is damaged: %s", error)
        return InvokeServerUnavailableError(str(error))
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
    return isinstance(error, UpstreamRefusal) and error.status == 404


@contextmanager
def guard(connection: Connection | None) -> Iterator[None]:
    """Anything raised inside becomes a redacted Dify error with no chained upstream exception."""
    try:
        yield
    except Exception as error:
        raise to_invoke_error(error, connection) from None


def refused_form(error: UserInputError) -> CredentialsValidateFailedError:
    """Credentials refused for the user's own mistake, in its words (redacted)."""
    return CredentialsValidateFailedError(redact(str(error)))


def validation_failed(
    error: BaseException, connection: Connection | None, prefix: str
) -> CredentialsValidateFailedError:
    """Why credentials failed: the user's own mistake in its words, else the mapped upstream error."""
    if isinstance(error, UserInputError):
        return refused_form(error)
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
