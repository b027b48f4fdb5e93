"""Reading the replies of AtlasCloud's asynchronous media API, whatever their variant.

Pure functions over parsed JSON (provider/media.py does the calls). What the variants are, with
their sources, is in docs/research/speech-api.md §1-2; in short:
- `code` comes as 200, "200" or 0 (and is sometimes absent); anything else is an error, even
  in an HTTP 200 reply.
- The payload is under `data`, or flat at the top level (some per-model reference pages).
- Statuses: created, pending, starting, queued, processing (running); completed, succeeded,
  success (done); failed, error, timeout, canceled, cancelled (failed). A failed job may come in
  an HTTP 200 reply or in an HTTP 5xx one, with its reason in `data.error` (a string, or an
  object), else in the envelope's `message`/`msg`.
- Results are in `outputs` (a list of strings, rarely of objects with a URL), or the legacy
  `output`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from provider.errors.bodies import clip, readable
from provider.errors.tree import PredictionFailed, ReplyError, UpstreamError

SUCCEEDED = frozenset({"completed", "succeeded", "success"})
FAILED = frozenset({"failed", "error", "timeout", "canceled", "cancelled"})
_SUCCESS_CODES = frozenset({"200", "0"})
_URL_KEYS = ("url", "download_url", "audio_url")
_REASON_KEYS = ("message", "msg", "error", "detail", "reason")


@dataclass(frozen=True)
class Prediction:
    """One media job as AtlasCloud last described it."""

    id: str
    status: str
    outputs: tuple[str, ...] = ()
    reason: str = ""
    error_code: object = None
    payload: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def succeeded(self) -> bool:
        return self.status in SUCCEEDED

    @property
    def failed(self) -> bool:
        return self.status in FAILED

    @property
    def finished(self) -> bool:
        return self.succeeded or self.failed


def _is_success_code(code: object) -> bool:
    return code is None or str(code).strip() in _SUCCESS_CODES


def payload_of(reply: Any) -> Mapping[str, Any]:
    """The reply's `data` object, or the reply itself when it is flat; ReplyError for anything else."""
    if not isinstance(reply, Mapping):
        raise ReplyError("its reply is not a JSON object")
    data = reply.get("data")
    return data if isinstance(data, Mapping) else reply


def refusal_in(reply: Any) -> UpstreamError | None:
    """The error an envelope reports by its `code` (in any HTTP status), else None."""
    if not isinstance(reply, Mapping) or _is_success_code(reply.get("code")):
        return None
    request_id = reply.get("request_id") if isinstance(reply.get("request_id"), str) else None
    return UpstreamError(reply.get("code"), readable(reply) or "no details", request_id)


def job_id_of(reply: Any) -> str:
    """The id of the job a submit created; the envelope's error when it reports one."""
    refusal = refusal_in(reply)
    if refusal is not None:
        raise refusal
    job_id = payload_of(reply).get("id")
    if not isinstance(job_id, str | int) or isinstance(job_id, bool) or not str(job_id).strip():
        raise ReplyError("it accepted the job but sent no job id")
    return str(job_id).strip()


def status_of(payload: Mapping[str, Any]) -> str:
    """A job's status as compared with SUCCEEDED and FAILED ("" when it has none)."""
    return str(payload.get("status") or "").strip().lower()


def prediction_of(reply: Any, job_id: str) -> Prediction:
    """A poll reply as a Prediction. A job in a final state is read even when the envelope's
    `code` says error (a failed job); otherwise a non-success `code` is the envelope's error."""
    payload = payload_of(reply)
    status = status_of(payload)
    if status not in SUCCEEDED | FAILED:
        refusal = refusal_in(reply)
        if refusal is not None:
            raise refusal
    return Prediction(
        id=str(payload.get("id") or job_id),
        status=status or "processing",
        outputs=outputs_of(payload),
        reason=reason_of(payload, reply),
        error_code=payload.get("error_code"),
        payload=payload,
    )


def terminal_in_error_body(body: Any, job_id: str) -> Prediction | None:
    """A failed job reported with an HTTP error status (AtlasCloud sends some as 5xx): final, so
    never retried. None when the body does not describe a finished job."""
    if not isinstance(body, Mapping) or not isinstance(body.get("data"), Mapping):
        return None
    if status_of(body["data"]) not in SUCCEEDED | FAILED:
        return None  # a passing server error about a running job: the poll is tried again
    return prediction_of(body, job_id)


def outputs_of(payload: Mapping[str, Any]) -> tuple[str, ...]:
    raw = payload.get("outputs")
    if raw is None:
        raw = payload.get("output")
    items = raw if isinstance(raw, list) else [raw] if raw is not None else []
    found = []
    for item in items:
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, Mapping):
            url = next((item[key] for key in _URL_KEYS if isinstance(item.get(key), str) and item[key]), None)
            if url:
                found.append(url)
    return tuple(found)


def reason_of(payload: Mapping[str, Any], reply: Any) -> str:
    """AtlasCloud's reason for a failure: `data.error` (text or object), else the envelope's words."""
    error = payload.get("error")
    if isinstance(error, str) and error.strip():
        return clip(error)
    if isinstance(error, Mapping):
        for key in _REASON_KEYS:
            if isinstance(error.get(key), str) and error[key].strip():
                return clip(error[key])
    outer = readable(reply) if isinstance(reply, Mapping) and reply is not payload else None
    return outer or ""


def failure(prediction: Prediction, what: str) -> PredictionFailed:
    """The error for a job that ended failed, in AtlasCloud's words."""
    reason = prediction.reason or f"it ended with status '{prediction.status}' and gave no reason"
    return PredictionFailed(
        prediction.error_code,
        f"the {what} job {prediction.id} failed: {reason}",
        job_status=prediction.status,
    )


def uploaded_url(reply: Any) -> str:
    """The temporary URL of an uploaded file: `data.download_url` (AtlasCloud's MCP server), else
    the other spellings AtlasCloud's own clients accept."""
    refusal = refusal_in(reply)
    if refusal is not None:
        raise refusal
    payload = payload_of(reply)
    for holder in (payload, reply if isinstance(reply, Mapping) else {}):
        for key in ("download_url", "url"):
            value = holder.get(key)
            if isinstance(value, str) and value.startswith(("https://", "http://")):
                return value
    raise ReplyError("it stored the file but sent no URL for it")
