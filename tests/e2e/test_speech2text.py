"""Speech-to-text through the real plugin process (stdio and serverless) against the simulator.

The simulator's transcript names the bytes it read at the uploaded URL (size, format, sha256):
a transcript that matches the recording proves the plugin uploaded exactly that file.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from testkit.plugin_driver import PluginProcess, action_request
from testkit.simulator.media_audio import mp3_file
from tests.e2e.voice_helpers import AUDIO, FAST_POLLS, billed_paths, transcribe, voice_plugin

FORMATS = ["mp3", "wav", "m4a", "webm", "ogg", "flac"]


@pytest.fixture(scope="module", params=["local", "serverless"])
def plugin(request):
    yield from voice_plugin(request)


def expected_transcript(audio: bytes, kind: str) -> str:
    digest = hashlib.sha256(audio).hexdigest()[:16]
    return f"Simulated transcript of {len(audio)} bytes of {kind} audio (sha256 {digest})."


@pytest.mark.parametrize("kind", FORMATS)
def test_a_recording_in_each_format_is_transcribed(plugin, sim, creds, kind):
    audio = (AUDIO / f"hello.{kind}").read_bytes()
    result = transcribe(plugin, creds, audio)
    assert result.single() == {"result": expected_transcript(audio, kind)}
    body = sim.state.media.submits[0]
    assert body["model"] == "xai/stt-v1" and body["audio"].endswith(f"/audio.{kind}"), "the extension is kept"


def test_seed_asr_is_told_the_format_read_from_the_content(plugin, sim, creds):
    audio = (AUDIO / "hello.ogg").read_bytes()
    result = transcribe(plugin, creds, audio, "bytedance/seed-asr-2.0")
    assert result.single()["result"] == expected_transcript(audio, "ogg")
    body = sim.state.media.submits[0]
    assert body["format"] == "ogg" and body["enable_itn"] is True and body["audio_url"].endswith("/audio.ogg")


@pytest.mark.parametrize(
    ("audio", "model", "words"),
    [
        (b"", "bytedance/seed-asr-2.0", "empty"),
        (b"%PDF-1.4\n" + b"not a recording " * 400, "bytedance/seed-asr-2.0", "not audio"),
        ((AUDIO / "hello.wav").read_bytes()[:30_000], "bytedance/seed-asr-2.0", "truncated"),
        ((AUDIO / "hello.m4a").read_bytes()[:9_000], "xai/stt-v1", "truncated"),
        ((AUDIO / "hello.webm").read_bytes(), "bytedance/seed-asr-2.0", "reads MP3, Ogg, WAV audio; this file is WebM"),
    ],
)
def test_audio_that_would_fail_is_refused_before_anything_is_uploaded_or_billed(
    plugin, sim, creds, audio, model, words
):
    result = transcribe(plugin, creds, audio, model)
    assert result.error_type == "InvokeBadRequestError", result.message
    assert words in result.message
    assert billed_paths(sim) == []


def test_too_long_audio_is_refused_by_its_length(plugin, sim, creds):
    result = transcribe(plugin, creds, mp3_file(3700.0, bitrate_kbps=8))  # 62 minutes in 3.7 MB
    assert result.error_type == "InvokeBadRequestError" and "lasts 61.7 minutes" in result.message
    assert billed_paths(sim) == []


@pytest.mark.parametrize(
    ("setup", "error_type", "words"),
    [
        (lambda m: m.inject("fail", message="no speech detected in audio"), "InvokeBadRequestError",
         "failed: no speech detected in audio"),
        (lambda m: m.inject("upload_status", status=413, message="file too large"), "InvokeBadRequestError",
         "file too large"),
        (lambda m: m.inject("status", status=500, message="scheduler down"), "InvokeServerUnavailableError",
         "scheduler down"),
        (lambda m: setattr(m.config, "url_ttl_s", 0.0), "InvokeBadRequestError",
         "failed to download the audio: the URL is not reachable or has expired"),
        (lambda m: m.inject("no_id"), "InvokeServerUnavailableError", "no job id"),
    ],
)  # fmt: skip
def test_every_failure_is_a_clear_dify_error(plugin, sim, creds, setup, error_type, words):
    setup(sim.state.media)
    result = transcribe(plugin, creds, (AUDIO / "hello.mp3").read_bytes())
    assert result.error_type == error_type, result.message
    assert words in result.message
    assert len(sim.state.media.submits) <= 1


def test_the_key_never_appears_when_an_upload_refusal_echoes_it(plugin, sim, creds):
    key = creds["api_key"]
    # Only what this call made the process write: other tests' successful validations echo their
    # credentials back to the daemon, as the protocol asks.
    seen = (len(plugin.stdout_lines), len(plugin.stderr_lines), len(plugin.wire_lines))
    sim.state.media.inject("upload_status", status=401, message=f"invalid token {key}")
    result = transcribe(plugin, creds, (AUDIO / "hello.mp3").read_bytes())
    assert result.error_type == "InvokeAuthorizationError"
    written = plugin.stdout_lines[seen[0] :] + plugin.stderr_lines[seen[1] :] + plugin.wire_lines[seen[2] :]
    everything = json.dumps(result.error) + "\n".join(written)
    assert key not in everything


def test_model_validation_proves_the_key_without_a_billed_call(plugin, sim, creds):
    def validate(model_type, model):
        return plugin.request(action_request("validate_model_credentials", model_type, model, creds))

    assert validate("speech2text", "xai/stt-v1").ok
    assert validate("tts", "google/gemini-2.5-flash-tts").ok
    unknown = validate("speech2text", "xai/stt-v7")
    assert unknown.error_type == "CredentialsValidateFailedError" and "does not list the model" in unknown.message
    image = validate("tts", "bytedance/seedream-v4")
    assert image.error_type == "CredentialsValidateFailedError" and "among its Image models" in image.message
    assert billed_paths(sim) == []
    assert "/public/v1/balance" in [r.path for r in sim.requests()]


@pytest.fixture(scope="module")
def short_budget_plugin():
    process = PluginProcess("local", extra_env={**FAST_POLLS, "ATLASCLOUD_TOTAL_TIMEOUT_S": "3"})
    yield process
    process.stop()


def test_a_job_still_running_when_the_budget_ends_is_reported_and_not_resubmitted(short_budget_plugin, sim, creds):
    sim.state.media.inject("never")
    result = transcribe(short_budget_plugin, creds, (AUDIO / "hello.mp3").read_bytes())
    assert result.error_type == "InvokeConnectionError"
    assert "was still running when this call's 3 s budget ran out" in result.message
    assert len(sim.state.media.submits) == 1


def test_audio_over_50_mb_is_refused_before_it_is_uploaded(short_budget_plugin, sim, creds):
    audio = mp3_file(1600.0, bitrate_kbps=160)  # 32 MB of frames
    audio += audio[: 51_000_000 - len(audio)]
    result = transcribe(short_budget_plugin, creds, audio, timeout=300)
    assert result.error_type == "InvokeBadRequestError" and "takes at most 50.0 MB" in result.message
    assert billed_paths(sim) == [] and short_budget_plugin.alive


def test_the_largest_audio_accepted_costs_the_plugin_no_memory_beyond_reading_the_request(sim, creds):
    """50 MB of audio arrives as 100 MB of hex: reading that request is the SDK's part. Checking
    and uploading the file must add nothing on top: the peak is the same whether the audio is
    transcribed or refused right after its inspection (an unlisted model)."""
    from tests.e2e.image_helpers import status_kb

    sim.state.media.config.per_audio_s = 0.0001
    frames = (50_000_000 - 1000) // 480
    audio = mp3_file((frames - 0.5) * 0.024, bitrate_kbps=160)
    peaks = {}
    for model in ("xai/stt-v7", "xai/stt-v1"):
        with PluginProcess("local", extra_env=FAST_POLLS) as process:
            assert transcribe(process, creds, mp3_file(2.0)).ok
            rest = status_kb(process.process.pid, "VmRSS")
            result = transcribe(process, creds, audio, model, timeout=300)
            peaks[model] = status_kb(process.process.pid, "VmHWM") - rest
    assert result.ok, result.message
    assert peaks["xai/stt-v1"] - peaks["xai/stt-v7"] < 16 * 1024, peaks  # kB: the upload streams from the file
    assert peaks["xai/stt-v1"] < 6 * len(audio) / 1024, peaks
