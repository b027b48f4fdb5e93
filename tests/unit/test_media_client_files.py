"""The media client's files and checks (provider/media.py): result downloads capped in size,
retried on the invocation's clock and explained in plain words when they fail; uploads sent again
only when they never left the plugin; and the model's published schema (public, fetched without
the key) checked before a billed submit."""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest

from provider import media_schema
from provider.client import Client
from provider.deadline import Deadline
from provider.errors.tree import NotServed, ParameterError, PredictionFailed, ResultUnavailable
from provider.media import MediaClient
from provider.media_reply import Prediction
from tests.unit.fakes import Clock
from tests.unit.test_media_client import CONNECTION, KEY, POLL, Upstream, ok, raising
from tests.unit.test_media_client import media as speech_client
from tests.unit.test_media_client_flow import timeouts_within

BASE = "https://api.atlascloud.ai/api/v1"
UPLOAD = f"{BASE}/model/uploadMedia"
SCHEMA_URL = "https://static.example/schemas/tts.json"


@pytest.fixture(autouse=True)
def _fresh_schema_cache() -> Iterator[None]:
    media_schema.clear_cache()
    yield
    media_schema.clear_cache()


# --- results -------------------------------------------------------------------------------------


def cdn(*routes: tuple[str, httpx.Response]) -> tuple[MediaClient, Upstream]:
    upstream = Upstream({("GET", url): [answer] for url, answer in routes})
    return speech_client(upstream, Clock(), budget=30.0), upstream


def test_a_result_of_exactly_the_cap_is_downloaded_declared_or_streamed():
    client, upstream = cdn(
        ("https://cdn/declared", httpx.Response(200, content=b"x" * 1024)),
        ("https://cdn/streamed", httpx.Response(200, content=iter([b"y" * 1000, b"y" * 24]))),
    )
    assert client.download("https://cdn/declared", max_bytes=1024) == b"x" * 1024
    assert client.download("https://cdn/streamed", max_bytes=1024) == b"y" * 1024
    assert "content-length" not in upstream.seen[1].headers and timeouts_within(upstream.seen[0], 30.0)


def test_a_result_over_the_cap_is_refused_by_its_declared_or_its_counted_size():
    client, _ = cdn(
        ("https://cdn/declared", httpx.Response(200, content=b"x" * 2048)),
        ("https://cdn/streamed", httpx.Response(200, content=iter([b"y" * 1000, b"y" * 1000]))),
    )
    with pytest.raises(ResultUnavailable) as declared:
        client.download("https://cdn/declared", max_bytes=1024)
    assert str(declared.value) == "the result file is 2048 bytes, over the plugin's 1024-byte cap"
    with pytest.raises(ResultUnavailable) as streamed:
        client.download("https://cdn/streamed", max_bytes=1024)
    assert str(streamed.value) == "the result file is over the plugin's 1024-byte cap"


@pytest.mark.parametrize(("status", "expired"), [(410, True), (500, False)])
def test_a_result_that_cannot_be_downloaded_says_the_job_may_be_billed(status, expired):
    client, _ = cdn(("https://cdn/a.mp3", httpx.Response(status, text="gone")))
    with pytest.raises(ResultUnavailable) as caught:
        client.download("https://cdn/a.mp3")
    assert str(caught.value) == (
        f"the speech result could not be downloaded (HTTP {status}); the job finished and may have been billed"
    )
    assert caught.value.expired is expired


def test_a_failed_download_is_retried_on_the_invocations_clock():
    upstream = Upstream(
        {("GET", "https://cdn/a.mp3"): [httpx.Response(502, text="bad"), httpx.Response(200, content=b"ok")]}
    )
    clock = Clock()
    assert speech_client(upstream, clock).download("https://cdn/a.mp3") == b"ok"
    assert len(clock.slept) == 1


def test_the_cap_holds_for_the_first_url_and_for_a_fresh_one():
    too_big = httpx.Response(200, content=b"z" * 2048)
    client, _ = cdn(("https://cdn/a.mp3", too_big))
    with pytest.raises(ResultUnavailable, match="cap"):
        client.fetch_output(Prediction("job-1", "completed", ("https://cdn/a.mp3",)), max_bytes=1024)
    client, _ = cdn(
        ("https://cdn/old.mp3", httpx.Response(404, text="expired")),
        (POLL, ok({"status": "completed", "outputs": ["https://cdn/new.mp3"]})),
        ("https://cdn/new.mp3", too_big),
    )
    with pytest.raises(ResultUnavailable, match="cap"):
        client.fetch_output(Prediction("job-1", "completed", ("https://cdn/old.mp3",)), max_bytes=1024)


def test_a_plain_http_result_url_is_used_and_other_outputs_are_skipped():
    client, _ = cdn(("http://127.0.0.1:8123/out/a.wav", httpx.Response(200, content=b"RIFF")))
    prediction = Prediction("job-1", "completed", ("data:audio/wav;base64,AAAA", "http://127.0.0.1:8123/out/a.wav"))
    assert client.fetch_output(prediction) == b"RIFF"


def test_a_result_withheld_by_content_safety_is_a_failure_in_plain_words():
    blocked = Prediction("job-9", "completed", (), payload={"has_nsfw_contents": True})
    with pytest.raises(PredictionFailed) as caught:
        cdn()[0].fetch_output(blocked)
    assert (
        str(caught.value) == "the speech job job-9 failed: the result was withheld by AtlasCloud's content safety check"
    )


# --- uploads -------------------------------------------------------------------------------------


def test_an_upload_that_never_connected_is_retried_on_the_invocations_clock():
    stored = ok({"download_url": "https://atlas/a.wav"})
    upstream = Upstream({("POST", UPLOAD): [raising(httpx.ConnectError), stored]})
    clock = Clock()
    client = speech_client(upstream, clock, budget=30.0)
    assert client.upload(io.BytesIO(b"RIFF"), "a.wav", "audio/wav") == "https://atlas/a.wav"
    assert upstream.count("POST", UPLOAD) == 2 and len(clock.slept) == 1
    assert timeouts_within(upstream.seen[-1], 30.0)


def test_an_upload_whose_answer_is_lost_is_not_sent_again():
    upstream = Upstream({("POST", UPLOAD): [raising(httpx.ReadTimeout), ok({"download_url": "https://atlas/a.wav"})]})
    with pytest.raises(httpx.ReadTimeout):
        speech_client(upstream, Clock()).upload(io.BytesIO(b"RIFF"), "a.wav", "audio/wav")
    assert upstream.count("POST", UPLOAD) == 1


# --- the model's published schema, fetched without the key ----------------------------------------

LISTING = {
    "data": [
        {"model": "xai/tts-v1", "type": "Audio", "schema": SCHEMA_URL},
        {"model": "any/untyped", "schema": SCHEMA_URL},
    ]
}
SCHEMA = {
    "components": {
        "schemas": {
            "Input": {
                "required": ["text"],
                "properties": {"text": {"type": "string"}, "voice_id": {"type": "string", "enum": ["eve", "ara"]}},
            }
        }
    }
}


def published(listing: object = LISTING) -> tuple[MediaClient, list[httpx.Request]]:
    """A media client whose endpoint publishes `listing` (None: no list) and the model's schema."""
    documents = {SCHEMA_URL: SCHEMA} | ({f"{BASE}/models": listing} if listing is not None else {})
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        document = documents.get(str(request.url))
        return httpx.Response(404, text="no such route") if document is None else httpx.Response(200, json=document)

    clock = Clock()
    client = MediaClient(
        CONNECTION,
        Deadline(clock.now + 30, 30, clock=clock.monotonic),
        "speech",
        client=Client("", {"Authorization": f"Bearer {KEY}"}, transport=httpx.MockTransport(answer)),
        downloader=Client("", {"User-Agent": "t"}, transport=httpx.MockTransport(answer)),
        sleep=clock.sleep,
    )
    return client, seen


def test_a_job_the_schema_refuses_is_refused_before_submitting_and_the_documents_are_public():
    client, seen = published()
    with pytest.raises(ParameterError, match=r"'voice_id' must be one of eve, ara"):
        client.check("xai/tts-v1", {"text": "hi", "voice_id": "alloy"})
    client.check("xai/tts-v1", {"text": "hi", "voice_id": "ara"})
    assert [str(r.url) for r in seen] == [f"{BASE}/models", SCHEMA_URL]
    assert all("authorization" not in r.headers and timeouts_within(r, 30.0) for r in seen)


def test_a_parameters_choices_come_from_the_models_schema():
    assert published()[0].choices("xai/tts-v1", "voice_id") == ["eve", "ara"]


def test_the_listed_model_is_found_and_an_unlisted_one_is_not_served():
    client, _ = published()
    listed = client.listed("xai/tts-v1")
    assert listed is not None and (listed.id, listed.kind, listed.schema_url) == ("xai/tts-v1", "Audio", SCHEMA_URL)
    with pytest.raises(NotServed, match="does not list the model 'xai/tts-v2'"):
        client.listed("xai/tts-v2")
    media_schema.clear_cache()
    assert published(listing=None)[0].listed("xai/tts-v1") is None


def test_a_model_listed_as_another_kind_is_refused_and_anything_else_passes():
    client, _ = published()
    client.require("xai/tts-v1", "audio")
    client.require("any/untyped", "Image")
    with pytest.raises(NotServed) as caught:
        client.require("xai/tts-v1", "Image")
    assert str(caught.value) == "AtlasCloud lists 'xai/tts-v1' among its Audio models, not Image; pick another."
    media_schema.clear_cache()
    published(listing=None)[0].require("any/model", "Audio")
