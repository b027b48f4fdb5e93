"""The client for AtlasCloud's asynchronous media API: upload, submit, poll, fetch the result.

Speech runs through it today; image and video generation would use it unchanged (`kind` names
the endpoint: generateAudio, generateImage, generateVideo). The API lives beside the OpenAI one:
https://api.atlascloud.ai/v1 -> https://api.atlascloud.ai/api/v1 (docs/research/speech-api.md).

- **A submit is billed and cannot be cancelled.** It is retried only when the request provably
  never left the plugin (no connection was made, provider/deadline.py `never_sent`). A submit
  whose answer is lost raises JobUnconfirmed and is never sent again.
- **Polls are free** and retried like any GET. A failed job is final whatever the HTTP status
  that carries it (AtlasCloud sends some as 5xx): it is read, never retried.
- **Waiting backs off**: the first poll after ATLASCLOUD_POLL_INTERVAL_S (1 s), each wait 1.5x
  longer up to 5x that, and never past the invocation's Deadline (570 s, under the daemon's 600).
- **Results are downloaded without the key**: output URLs point at storage hosts, not the API.
  An expired URL is asked for again once (a fresh poll), never regenerated.

Every failure is an exception of provider/errors/tree.py; callers map them through
provider/errors/mapping.py like chat errors.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import IO, Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from provider import media_schema
from provider.client import Client
from provider.connection import USER_AGENT, Connection, open_client
from provider.deadline import MIN_ATTEMPT_S, Deadline, never_sent, with_retries
from provider.errors.tree import (
    BudgetExceeded,
    JobTimeout,
    JobUnconfirmed,
    NotServed,
    ReplyError,
    ResultUnavailable,
    StatusError,
)
from provider.media_reply import Prediction, failure, job_id_of, prediction_of, terminal_in_error_body, uploaded_url
from provider.settings import settings

logger = logging.getLogger(__name__)

POLL_GROWTH = 1.5
POLL_CEILING = 5.0  # the longest wait between polls, as a multiple of the first
# A result larger than this is not audio (or image) a Dify user asked for; it bounds memory.
MAX_RESULT_BYTES = 50 * 1024 * 1024
READ_CHUNK = 256 * 1024
MAX_UNREADABLE_POLLS = 3
# Statuses of an expired or withdrawn temporary URL.
_EXPIRED = frozenset({403, 404, 410})


def media_base_url(connection: Connection) -> str:
    """https://api.atlascloud.ai/v1 -> https://api.atlascloud.ai/api/v1, and the same for a
    gateway or the simulator (http://127.0.0.1:PORT/v1 -> http://127.0.0.1:PORT/api/v1)."""
    parts = urlsplit(connection.base_url)
    path = parts.path.removesuffix("/v1")
    return urlunsplit((parts.scheme, parts.netloc, f"{path}/api/v1", "", ""))


@dataclass(frozen=True)
class PollPolicy:
    first_s: float
    growth: float = POLL_GROWTH
    ceiling_s: float = 5.0

    @classmethod
    def from_settings(cls) -> PollPolicy:
        first = settings().poll_interval_s
        return cls(first_s=first, ceiling_s=first * POLL_CEILING)

    def waits(self) -> Any:
        wait = self.first_s
        while True:
            yield wait
            wait = min(wait * self.growth, self.ceiling_s)


@cache
def keyless_client() -> Client:
    """For public documents and result files: nothing the API key could leak to."""
    return Client("", {"User-Agent": USER_AGENT, "Accept": "*/*"})


class MediaClient:
    """One invocation's view of the media API: its connection, its deadline, what it is about."""

    def __init__(
        self,
        connection: Connection,
        deadline: Deadline,
        what: str = "media",
        client: Client | None = None,
        downloader: Client | None = None,
        poll: PollPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.connection = connection
        self.deadline = deadline
        self.what = what  # "speech", "transcription": for messages
        self.base = media_base_url(connection)
        self._client = client or open_client(connection)
        self._downloader = downloader or keyless_client()
        self._poll = poll or PollPolicy.from_settings()
        self._sleep = sleep

    # --- the job ----------------------------------------------------------------------
    def run(self, kind: str, body: dict[str, Any]) -> Prediction:
        """Submit one job and wait for it; the finished Prediction, or its failure raised."""
        return self.wait(self.submit(kind, body))

    def submit(self, kind: str, body: dict[str, Any]) -> str:
        """POST the job; its id. Sent once, unless no connection could be made at all."""
        url = f"{self.base}/model/{kind}"
        try:
            reply = with_retries(
                self.deadline, lambda t: self._client.call(url, body, t), self._sleep, retryable=never_sent
            )
        except BudgetExceeded:
            raise self._late(None) from None
        except (httpx.TransportError, ReplyError) as error:
            if never_sent(error):
                raise
            raise JobUnconfirmed(
                f"{self.connection.label} did not confirm the {self.what} job (its answer was lost or unreadable: "
                f"{type(error).__name__}). The job may have been created and billed; the plugin did not send it "
                "again. Check the request history in the AtlasCloud console before retrying."
            ) from None
        return job_id_of(reply)

    def wait(self, job_id: str) -> Prediction:
        """Poll until the job is finished, backing off, within the deadline. An unreadable poll
        answer (a proxy's error page) is looked past MAX_UNREADABLE_POLLS - 1 times in a row."""
        unreadable = 0
        for wait in self._poll.waits():
            left = self.deadline.remaining()
            if left < MIN_ATTEMPT_S:
                raise self._late(job_id)
            pause = min(wait, left - MIN_ATTEMPT_S)  # shorter only for the last look
            self._sleep(pause)
            try:
                prediction = self.poll(job_id)
            except ReplyError:
                unreadable += 1
                if unreadable >= MAX_UNREADABLE_POLLS:
                    raise
                continue
            unreadable = 0
            if prediction.succeeded:
                return prediction
            if prediction.failed:
                raise failure(prediction, self.what)
            if pause < wait:
                raise self._late(job_id)
        raise AssertionError("unreachable")  # pragma: no cover

    def poll(self, job_id: str) -> Prediction:
        """One look at the job (a free GET, retried on transient failures)."""
        url = f"{self.base}/model/prediction/{quote(job_id, safe='')}"

        def attempt(timeout: httpx.Timeout) -> Prediction:
            try:
                return prediction_of(self._client.call(url, None, timeout, method="GET"), job_id)
            except StatusError as error:
                finished = terminal_in_error_body(error.body, job_id)
                if finished is not None:
                    return finished
                if error.status == 404:
                    raise ResultUnavailable(
                        f"{self.connection.label} does not know the {self.what} job {job_id} (HTTP 404)"
                    ) from None
                raise

        try:
            return with_retries(self.deadline, attempt, self._sleep)
        except BudgetExceeded:
            raise self._late(job_id) from None

    def _late(self, job_id: str | None) -> JobTimeout:
        job = f"The {self.what} job {job_id}" if job_id else f"The {self.what} job"
        running = " was still running" if job_id else " could not be submitted in time"
        return JobTimeout(
            f"{job}{running} when this call's {self.deadline.budget_s:.0f} s budget ran out "
            "(ATLASCLOUD_TOTAL_TIMEOUT_S; Dify's daemon stops every call at 600 s). "
            + ("It may still finish and be billed; it was not submitted again. " if job_id else "")
            + "Send shorter input, or retry later."
        )

    # --- the model's published schema (public: fetched without the key) ----------------------
    def check(self, model: str, params: dict[str, Any]) -> None:
        """Refuse, before anything is billed, a job the model's published schema refuses."""
        media_schema.check_job(self._downloader, self.base, model, params, self.deadline)

    def listed(self, model: str) -> media_schema.ListedModel | None:
        """The model as the endpoint lists it; None when the endpoint has no list. NotServed when
        it has one without this model."""
        listed = media_schema.listed_models(self._downloader, self.base, self.deadline)
        if listed is None:
            return None
        if model not in listed:
            media_schema.model_schema(self._downloader, self.base, model, self.deadline)  # raises NotServed
        return listed.get(model)

    def require(self, model: str, kind: str) -> None:
        """NotServed unless the endpoint lists the model as one of `kind` (AtlasCloud's `type`:
        Audio, Image, Video); nothing to check on an endpoint without a list."""
        listed = self.listed(model)
        if listed is not None and listed.kind and listed.kind.lower() != kind.lower():
            raise NotServed(f"AtlasCloud lists '{model}' among its {listed.kind} models, not {kind}; pick another.")

    def choices(self, model: str, parameter: str) -> list[str]:
        return media_schema.parameter_choices(self._downloader, self.base, model, parameter, self.deadline)

    # --- files ------------------------------------------------------------------------
    def upload(self, file: IO[bytes], filename: str, content_type: str) -> str:
        """Store a file in AtlasCloud's temporary media storage; its URL. Streamed from `file`.
        The name's extension matters: AtlasCloud classifies the file by it."""
        url = f"{self.base}/model/uploadMedia"

        def attempt(timeout: httpx.Timeout) -> Any:
            return self._client.call(url, None, timeout, files={"file": (filename, file, content_type)})

        try:
            return uploaded_url(with_retries(self.deadline, attempt, self._sleep, retryable=never_sent))
        except BudgetExceeded:
            raise self._late(None) from None

    def fetch_output(self, prediction: Prediction, max_bytes: int = MAX_RESULT_BYTES) -> bytes:
        """The file a finished job produced. Its URL is temporary: if it has expired already, the
        job is polled once more for a fresh one (the job is never run again)."""
        url = self._first_url(prediction)
        try:
            return self.download(url, max_bytes)
        except ResultUnavailable as error:
            if not error.expired:
                raise
        fresh = self._first_url(self.poll(prediction.id))
        return self.download(fresh, max_bytes)

    def download(self, url: str, max_bytes: int = MAX_RESULT_BYTES) -> bytes:
        """GET a result file without the API key, at most `max_bytes`, retried like any GET."""

        def attempt(timeout: httpx.Timeout) -> bytes:
            response = self._downloader.open(url, None, timeout, method="GET")
            try:
                return _read_capped(response, max_bytes)
            finally:
                response.close()

        try:
            return with_retries(self.deadline, attempt, self._sleep)
        except StatusError as error:
            raise ResultUnavailable(
                f"the {self.what} result could not be downloaded (HTTP {error.status}); the job finished and may "
                "have been billed",
                expired=error.status in _EXPIRED,
            ) from None
        except BudgetExceeded:
            raise self._late(None) from None

    def _first_url(self, prediction: Prediction) -> str:
        for output in prediction.outputs:
            if output.startswith(("https://", "http://")):
                return output
        if prediction.payload.get("has_nsfw_contents") in (True, [True]):
            withheld = "the result was withheld by AtlasCloud's content safety check"
            raise failure(Prediction(prediction.id, "failed", reason=withheld), self.what)
        raise ResultUnavailable(f"the {self.what} job {prediction.id} finished without a result file")


def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ResultUnavailable(f"the result file is {int(declared)} bytes, over the plugin's {max_bytes}-byte cap")
    body = io.BytesIO()
    for chunk in response.iter_bytes(READ_CHUNK):
        body.write(chunk)
        if body.tell() > max_bytes:
            raise ResultUnavailable(f"the result file is over the plugin's {max_bytes}-byte cap")
    return body.getvalue()
