"""Text-to-speech through the real plugin process (stdio and serverless) against the simulator."""

from __future__ import annotations

import threading
import time

import pytest

from models.audio_utils import mp3
from models.audio_utils.join import CHUNK_BYTES
from models.audio_utils.source import Source
from provider.daemon import LINE_CAP_BYTES
from testkit.plugin_driver import action_request, llm_request
from testkit.simulator.media import piece_tag
from testkit.simulator.media_audio import frames_for, tag_of
from tests.e2e.voice_helpers import billed_paths, tts, voice_plugin

LONG_TEXT = "Welcome to the AtlasCloud voice test. " + " ".join(
    f"Paragraph {n} explains one more detail of the plugin, in a sentence of ordinary length." for n in range(24)
)  # about 2,100 characters


@pytest.fixture(scope="module", params=["local", "serverless"])
def plugin(request):
    yield from voice_plugin(request)


def speech_frames(sim) -> int:
    """Frames of sound the simulator synthesised for every job it ran."""
    config = sim.state.media.config
    return sum(frames_for(max(0.5, config.speech_s_per_char * len(body["text"]))) for body in sim.state.media.submits)


def test_a_long_text_comes_back_as_one_mp3_stream_in_order(plugin, sim, creds):
    result = tts(plugin, creds, LONG_TEXT)
    assert result.ok, result.message
    submits = sim.state.media.submits
    texts = sorted((s["text"] for s in submits), key=LONG_TEXT.index)  # jobs run side by side: any arrival order
    assert texts[0] == "Welcome to the AtlasCloud voice test.", "the first sentence is a job of its own"
    assert " ".join(texts).split() == LONG_TEXT.split(), "every word once"
    assert all(body["voice_id"] == "eve" and body["codec"] == "mp3" for body in submits)
    assert {o["mime_type"] for o in result.outputs} == {"audio/mpeg"}
    stream = result.audio()
    scan = mp3.scan(Source(stream), 0, len(stream))
    assert mp3.frame_of(stream[:4]) is not None and scan.skipped == 0 and scan.truncated_by == 0
    assert scan.frames == speech_frames(sim), "the frames of every piece, once, as one stream"
    heard = [
        tag_of(stream[offset : offset + frame.length]) for offset, frame in mp3.frames(Source(stream), 0, len(stream))
    ]
    in_order = [tag for number, tag in enumerate(heard) if number == 0 or heard[number - 1] != tag]
    assert in_order == [piece_tag(text) for text in texts], "the pieces play in the order of the text"
    assert b"ID3" not in stream and b"Info" not in stream


def test_the_first_audio_arrives_after_the_first_sentences_job_not_the_whole_text(plugin, sim, creds):
    sim.state.media.config.time_scale = 0.05  # the first sentence ~0.5 s, a 1,000-character piece ~2 s
    arrivals: list[float] = []
    started = time.monotonic()
    result = tts(plugin, creds, LONG_TEXT, on_output=lambda _: arrivals.append(time.monotonic() - started))
    assert result.ok, result.message
    total = time.monotonic() - started
    if plugin.mode == "local":  # serverless replies arrive whole, at the end (the driver reads the body)
        assert arrivals[0] < 1.5 < total, (arrivals[0], total)
    longest_job = 0.05 * (8 + 0.03 * max(len(s["text"]) for s in sim.state.media.submits))
    assert total < 2.5 * longest_job, "the pieces ran side by side, not one after another"


def test_voices_are_listed_per_language(plugin, sim, creds):
    def voices(model, language):
        request = action_request("get_tts_model_voices", "tts", model, creds, language=language)
        return [v["value"] for v in plugin.request(request).single()["voices"]]

    assert voices("xai/tts-v1", "ja-JP") == ["ara", "eve", "rex", "sal", "leo"]
    assert voices("bytedance/seed-audio-1.0", "zh-Hans")[0] == "zh_female_sophie_uranus_bigtts"
    # A user-added model whose form lists no voices: the voice parameter's values in AtlasCloud's schema.
    assert voices("google/gemini-2.5-flash-tts", "en-US") == ["Kore", "Puck", "Charon", "Aoede"]
    assert voices("google/gemini-2.5-flash-tts", None) == ["Kore", "Puck", "Charon", "Aoede"]


def test_a_user_added_wav_model_gives_one_wav_stream(plugin, sim, creds):
    form = {**creds, "audio_format": "wav", "voices": "v1"}
    result = tts(
        plugin, form, "First part of it. " + "Second part goes on for a while. " * 40, "simulator/wav-tts", "v1"
    )
    assert result.ok, result.message
    audio = result.audio()
    assert {o["mime_type"] for o in result.outputs} == {"audio/wav"}
    assert audio.count(b"RIFF") == 1 and audio[40:44] == b"\xff\xff\xff\xff"
    assert len(sim.state.media.submits) >= 2


@pytest.mark.parametrize(
    ("setup", "error_type", "words"),
    [
        (lambda sim: sim.state.media.inject("status", status=429, message="rate limited"), "InvokeRateLimitError",
         "rate limit"),
        (lambda sim: setattr(sim.state, "balance", "insufficient"), "InvokeRateLimitError",
         "top up at https://www.atlascloud.ai/console/billing"),
        (lambda sim: sim.state.media.inject("fail", message="voice engine rejected the text", code=1039),
         "InvokeBadRequestError", "failed: voice engine rejected the text"),
        (lambda sim: sim.state.media.inject("fail_5xx", message="decoder crashed on input"), "InvokeBadRequestError",
         "failed: decoder crashed on input"),
        (lambda sim: sim.state.media.inject("timeout", message="queue timeout"), "InvokeServerUnavailableError",
         "queue timeout"),
        (lambda sim: sim.state.media.inject("nsfw"), "InvokeBadRequestError", "content safety"),
        (lambda sim: sim.state.media.inject("error_in_200", status=400, message="text contains unsupported markup"),
         "InvokeBadRequestError", "unsupported markup"),
    ],
)  # fmt: skip
def test_every_failure_is_a_clear_dify_error(plugin, sim, creds, setup, error_type, words):
    setup(sim)
    result = tts(plugin, creds, "A short sentence to read aloud.")
    assert result.error_type == error_type, result.message
    assert words in result.message


def test_a_wrong_key_is_an_authorization_error(plugin, sim, creds):
    result = tts(plugin, {**creds, "api_key": "apikey-wrong-0123456789"}, "Hello there, reader.")
    assert result.error_type == "InvokeAuthorizationError"


def test_a_submit_whose_answer_is_lost_is_never_sent_again(plugin, sim, creds):
    sim.state.media.inject("lost_answer")
    result = tts(plugin, creds, "One sentence only, to be read.")
    assert result.error_type == "InvokeConnectionError"
    assert "may have been created and billed" in result.message
    assert len(sim.state.media.submits) == 1


def test_expired_urls_malformed_slow_and_refused_polls_and_string_codes_are_all_survived(plugin, sim, creds):
    sim.state.media.inject("expire_first_url")
    sim.state.media.inject("poll_malformed")
    sim.state.media.inject("poll_slow", seconds=0.5)
    sim.state.media.inject("poll_status", status=503, message="busy")
    sim.state.media.inject("string_code")
    sim.state.media.inject("poll_flat")
    sim.state.media.config.success_status = "succeeded"
    result = tts(plugin, creds, "Sentence one is short. Sentence two is here too.")
    assert result.ok, result.message
    assert len(sim.state.media.submits) == len(billed_paths(sim)), "one submit per piece, none repeated"
    assert mp3.scan(Source(result.audio()), 0, len(result.audio())).frames == speech_frames(sim)


@pytest.mark.parametrize(
    ("text", "words"), [("", "nothing to read"), ("?! ...", "nothing to read"), ("x" * 10_001, "10001 characters")]
)
def test_text_that_cannot_be_read_is_refused_before_anything_is_billed(plugin, sim, creds, text, words):
    result = tts(plugin, creds, text)
    assert result.error_type == "InvokeBadRequestError" and words in result.message
    assert billed_paths(sim) == []


def test_unknown_models_and_refused_parameters_cost_nothing(plugin, sim, creds):
    result = tts(plugin, {**creds, "voices": "a"}, "Hello there, reader.", "xai/tts-v9", "a")
    assert result.error_type == "InvokeBadRequestError" and "does not list the model 'xai/tts-v9'" in result.message
    form = {**creds, "voice_parameter": "speaker_name", "voices": "Kore"}
    result = tts(plugin, form, "Hello there, reader.", "google/gemini-2.5-flash-tts", "Kore")
    assert result.error_type == "InvokeBadRequestError"
    assert "accepts no parameter 'speaker_name'" in result.message and "Nothing was submitted" in result.message
    assert billed_paths(sim) == []


def test_the_longest_text_accepted_stays_far_under_the_line_cap(plugin, sim, creds):
    sim.state.media.config.mp3_kbps = 160  # 1,000 characters -> a minute of speech -> 1.2 MB per piece
    text = ("This sentence is part of the longest text the plugin reads aloud in one call. " * 130)[:10_000]
    result = tts(plugin, creds, text, timeout=300)
    assert result.ok, result.message
    assert len(result.audio()) > 10 * 2**20
    assert plugin.longest_line <= 2 * CHUNK_BYTES + 1024 < LINE_CAP_BYTES / 4
    assert plugin.alive


def test_the_key_never_appears_even_when_atlascloud_echoes_it(plugin, sim, creds):
    key = creds["api_key"]
    # Only what this call made the process write: other tests' successful validations echo their
    # credentials back to the daemon, as the protocol asks.
    seen = (len(plugin.stderr_lines), len(plugin.wire_lines))
    sim.state.media.inject("fail", message=f"bad request from Bearer {key} (key {key})")
    result = tts(plugin, creds, "Read this sentence aloud.")
    assert result.error is not None and key not in str(result.error) and "***" in result.message
    assert key not in "\n".join(plugin.stderr_lines[seen[0] :] + plugin.wire_lines[seen[1] :])


def test_voice_and_chat_requests_do_not_block_each_other(plugin, sim, creds):
    sim.state.media.config.time_scale = 0.1  # each speech job takes a second or more
    outcome: dict[str, float] = {}

    def speak() -> None:
        started = time.monotonic()
        outcome["ok"] = tts(plugin, creds, "A sentence that takes a while to speak.").ok
        outcome["tts_s"] = time.monotonic() - started

    worker = threading.Thread(target=speak)
    worker.start()
    time.sleep(0.2)
    started = time.monotonic()
    chat = plugin.request(llm_request("qwen/qwen3.5-27b", creds, [{"role": "user", "content": "hi"}]))
    chat_s = time.monotonic() - started
    worker.join(60)
    assert chat.ok and outcome["ok"]
    assert chat_s < 0.5 < outcome["tts_s"], (chat_s, outcome)
