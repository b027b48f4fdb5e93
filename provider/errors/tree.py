"""Every exception the plugin raises itself, in one tree.

    PluginError
    ├── UserInputError ......... the user's or administrator's input cannot be used -> bad request
    │   ├── EndpointError        the endpoint URL or key in the provider form
    │   ├── FormError            a field of a user-added model's form
    │   ├── ImageError           an image that cannot be sent
    │   ├── DocumentError        a document that cannot be read (format, password, limits, a hostile file)
    │   ├── DownloadError        a URL that cannot be downloaded (one sentence for every reason)
    │   │   ├── MalformedURL     ... the URL cannot be read unambiguously
    │   │   ├── Refused          ... the host may not be downloaded from
    │   │   └── FetchFailed      ... the server's answer is not a usable file
    │   ├── NotServed            the endpoint does not serve this model for this model type
    │   ├── DimensionMismatchError  the embedding model ignores the form's `dimensions`
    │   ├── ReplyTooLargeError   a result that would not fit in one line the daemon reads
    │   ├── AudioError           audio that cannot be transcribed (checked before anything is billed)
    │   ├── SpeechTextError      text that cannot be synthesised (empty, too long)
    │   └── ParameterError       a media job the model's parameter schema refuses (checked before submitting)
    ├── UpstreamRefusal ........ the upstream answered, and said no -> by its status
    │   ├── StatusError          an HTTP error status
    │   └── UpstreamError        an error inside a 200 reply (an SSE event or a JSON body)
    │       └── PredictionFailed a media job that ended failed, with AtlasCloud's reason -> by that reason
    ├── ReplyError ............. a reply the plugin cannot read -> server unavailable, never the user's fault
    │   ├── EmbeddingReplyError  wrong count, mixed dimensions, NaN
    │   ├── NativeRerankError    a /rerank reply without usable results
    │   └── ResultUnavailable    a finished media job whose result cannot be read or downloaded
    ├── LimitExceeded .......... a budget of the plugin's own ran out
    │   ├── BudgetExceeded       one invocation's (or download's) time budget -> connection error
    │   │   └── JobTimeout       a media job still running when the budget ran out (it may still be billed)
    │   └── JobUnconfirmed       a media job submit whose answer was lost (never sent again) -> connection error
    └── InstallError ........... the plugin's own files are damaged -> server unavailable
        └── EncodingFileError    the bundled tokenizer does not match its hash

provider/errors/mapping.py turns each branch into Dify's `Invoke*Error`; no other module raises those.
This module imports nothing heavy, so any module may use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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


class PluginError(Exception):
    """The root: anything the plugin raises on purpose."""


class UserInputError(PluginError, ValueError):
    """A value the user or administrator supplied cannot be used; the message says what to change."""


class EndpointError(UserInputError):
    """The configured endpoint URL or key cannot be used; the message never echoes the value."""


class FormError(UserInputError):
    """A field of the model form holds a value the plugin cannot use."""


class ImageError(UserInputError):
    """The image cannot be used; the message says why in words a user can act on."""


class DocumentError(UserInputError):
    """A document (PDF, DOCX, text, HTML) cannot be read or sent; the message names the file, says
    why, and, for a format the plugin does not read, which formats it does."""


class DownloadError(UserInputError):
    """A URL could not be downloaded. Users see one sentence for every reason (so error texts
    cannot map internal hosts); the subclasses carry the reason for the plugin log."""


class MalformedURL(DownloadError):
    """The URL cannot be read unambiguously (the reason goes to the plugin log only)."""


class Refused(DownloadError):
    """The host may not be downloaded from (the reason goes to the plugin log only)."""


class FetchFailed(DownloadError):
    """The server's answer is not a usable file (the reason goes to the plugin log only)."""


class NotServed(UserInputError):
    """The endpoint does not serve this model for this model type (it answered 404)."""


class DimensionMismatchError(UserInputError):
    """The model answers with another width than the form's `dimensions` asks for."""


class ReplyTooLargeError(UserInputError):
    """The result would not fit in one line the daemon can read."""


class AudioError(UserInputError):
    """Audio that cannot be transcribed: empty, truncated, not audio, too long, too large, or in a
    format the model does not read. Raised before anything billed is submitted."""


class SpeechTextError(UserInputError):
    """Text that cannot be synthesised (empty, or longer than the plugin accepts in one call)."""


class ParameterError(UserInputError):
    """The model's parameter schema refuses the job the plugin would submit (nothing was submitted)."""


class UpstreamRefusal(PluginError):
    """The upstream answered and refused: `status` is the HTTP status it stands for."""

    status: int
    request_id: str | None


class StatusError(UpstreamRefusal):
    """The server answered an HTTP error status; `body` is its JSON, else its text."""

    def __init__(self, status: int, body: Any, headers: Mapping[str, str] | None = None, reason: str = "") -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body
        self.headers = headers if headers is not None else {}
        self.reason = reason

    @property
    def request_id(self) -> str | None:  # type: ignore[override]
        """AtlasCloud's `request_id` (top level, or inside OpenAI's `error`), else the x-request-id header."""
        for holder in (self.body, self.body.get("error") if isinstance(self.body, dict) else None):
            if isinstance(holder, dict) and isinstance(holder.get("request_id"), str) and holder["request_id"]:
                return holder["request_id"]
        return self.headers.get("x-request-id")


class UpstreamError(UpstreamRefusal):
    """An error the server reported inside a 200 reply (an SSE event or the JSON body)."""

    def __init__(self, code: object, message: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id

    @property
    def status(self) -> int:  # type: ignore[override]
        """The HTTP status the code stands for (500 when it names none)."""
        return status_of_code(self.code)


# Words in a failed job's reason, by the HTTP status they stand for (AtlasCloud's MCP server reads
# "insufficient"/"balance" as a top-up case: src/utils/error-handler.ts).
_REASON_WORDS: tuple[tuple[tuple[str, ...], int], ...] = (
    (("insufficient", "balance"), 402),
    (("rate limit",), 429),
    (("too many requests",), 429),
)
# Terminal statuses that are AtlasCloud's side giving up, not a refusal of the input.
_SERVER_SIDE_STATUSES = frozenset({"timeout", "canceled", "cancelled"})


class PredictionFailed(UpstreamError):
    """A media job (prediction) that ended failed; `message` is AtlasCloud's reason.

    The status it stands for comes from its error code when that names one, else from the words of
    the reason, else 503 when AtlasCloud gave up on it (timeout, cancelled), else 400: the job was
    refused for what it was asked to do, and the same request would fail (and be billed) again."""

    def __init__(self, code: object, message: str, request_id: str | None = None, job_status: str = "failed") -> None:
        super().__init__(code, message, request_id)
        self.job_status = job_status

    @property
    def status(self) -> int:  # type: ignore[override]
        by_code = status_of_code(self.code)
        if by_code != 500:
            return by_code
        reason = self.message.lower()
        for words, status in _REASON_WORDS:
            if all(word in reason for word in words):
                return status
        return 503 if self.job_status in _SERVER_SIDE_STATUSES else 400


class ReplyError(PluginError):
    """The server's reply cannot be read (malformed JSON, HTML, non-UTF-8, an aborted answer)."""


class EmbeddingReplyError(ReplyError):
    """The server's reply cannot be trusted (wrong count, mixed dimensions, NaN)."""


class NativeRerankError(ReplyError):
    """A `/rerank` reply without usable results."""


class ResultUnavailable(ReplyError):
    """A media job finished, but its result cannot be read or downloaded (an expired URL, no output)."""

    def __init__(self, message: str, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired  # the temporary URL is gone: a fresh poll may give another


class LimitExceeded(PluginError):
    """A budget of the plugin's own ran out."""


class BudgetExceeded(LimitExceeded):
    """A time budget ran out: one invocation's, or one download's."""


class JobTimeout(BudgetExceeded):
    """A submitted media job was still running when the invocation's budget ran out."""


class JobUnconfirmed(LimitExceeded):
    """The answer to a media job submit was lost (read timeout, dropped connection): the job may
    exist and be billed, so it is never sent again."""


class InstallError(PluginError):
    """The plugin's own files are damaged; reinstalling fixes it."""


class EncodingFileError(InstallError):
    """The bundled BPE file is not the published one (a damaged or altered install)."""


def status_of_code(code: object) -> int:
    """`429`, `"429"`, `"rate_limit_exceeded"` -> 429; anything unknown -> 500."""
    text = str(code).strip().lower() if code is not None else ""
    if text.isdigit() and 400 <= int(text) <= 599:
        return int(text)
    for word, status in _CODE_WORDS.items():
        if word in text:
            return status
    return 500
