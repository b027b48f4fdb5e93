"""Voice figures against the simulator: time to first audio, and the largest audio transcribed.

1. Time to first audio chunk for a 2,000-character text, through the plugin process (stdio), with
   AtlasCloud's typical job times (10-60 s: 8 s + 30 ms per character in the simulator) scaled by
   SCALE (and the poll interval with them); figures are also given back in real-time seconds:
   - sdk-sequential: what the SDK's own splitter and a sequential loop would do (1,000-character
     windows, one job after another; the openai-compatible plugins' way), run in this process;
   - plugin, 1 worker: the first sentence first, then the pieces one after another;
   - plugin, 3 workers: the first sentence first, the pieces side by side (the shipped setting).
2. The largest audio the plugin accepts (50 MB, a 41-minute MP3) transcribed through the plugin
   process: wall time and the process's peak memory (VmHWM) against its memory at rest.

    .venv/bin/python bench/bench_voice.py [--scale 0.1] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dify_plugin.interfaces.model.tts_model import TTSModel  # noqa: E402

from provider.connection import connection_from_credentials  # noqa: E402
from provider.deadline import Deadline  # noqa: E402
from provider.media import MediaClient, PollPolicy  # noqa: E402
from testkit.plugin_driver import PluginProcess, action_request  # noqa: E402
from testkit.simulator.media_audio import FRAME_S, mp3_file  # noqa: E402
from testkit.simulator.server import Simulator  # noqa: E402

TEXT = (
    "AtlasCloud now reads answers aloud in Dify. "
    + " ".join(
        f"Point {n}: the plugin splits long text at sentence ends, synthesises the pieces side by side, "
        "and streams them in order as one stream."
        for n in range(1, 40)
    )
)[:2000]
MODEL = "google/gemini-2.5-flash-tts"  # a user-added model, so the form sets the workers


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def plugin_tts(plugin: PluginProcess, creds: dict[str, str], workers: int) -> tuple[float, float]:
    form = {**creds, "voices": "Kore", "max_workers": str(workers), "word_limit": "1000"}
    request = action_request("invoke_tts", "tts", MODEL, form, content_text=TEXT, voice="Kore", tenant_id="bench")
    arrivals: list[float] = []
    started = time.monotonic()
    result = plugin.request(request, timeout=600, on_output=lambda _: arrivals.append(time.monotonic() - started))
    assert result.ok, result.message
    return arrivals[0], time.monotonic() - started


def sdk_sequential(creds: dict[str, str], scale: float) -> tuple[float, float]:
    """The SDK's splitter (TTSModel._split_text_into_sentences, 1,000 characters) and one job at a
    time, with the plugin's media client: the first audio comes after the first whole window."""
    media = MediaClient(connection_from_credentials(creds), Deadline.start(600), poll=PollPolicy(scale))
    started = time.monotonic()
    first = None
    for window in TTSModel._split_text_into_sentences(TEXT, 1000):
        media.fetch_output(media.run("generateAudio", {"model": MODEL, "text": window, "voice": "Kore"}))
        first = first or time.monotonic() - started
    return first or 0.0, time.monotonic() - started


def median(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def first_audio(sim: Simulator, scale: float, runs: int) -> None:
    creds = {"api_key": sim.state.api_key, "endpoint_url": sim.base_url}
    print(f"1. first audio for a {len(TEXT)}-character text; job = 8 s + 30 ms/char, times x{scale} (real-time s)")
    rows = {
        "sdk-sequential (1,000-char windows, 1 at a time)": median([sdk_sequential(creds, scale) for _ in range(runs)])
    }
    with PluginProcess("local", extra_env={"ATLASCLOUD_POLL_INTERVAL_S": str(scale)}) as plugin:
        for workers in (1, 3):
            label = f"plugin, first sentence first, {workers} worker{'s' * (workers > 1)}"
            rows[label] = median([plugin_tts(plugin, creds, workers) for _ in range(runs)])
    for label, (first, total) in rows.items():
        real = f"({first / scale:5.1f})   all {total:6.2f} s ({total / scale:5.1f})"
        print(f"   {label:52s} first chunk {first:6.2f} s {real}")


def largest_audio(sim: Simulator, scale: float) -> None:
    creds = {"api_key": sim.state.api_key, "endpoint_url": sim.base_url}
    sim.state.media.config.per_audio_s = 0.005  # a 42-minute recording: about a minute at AtlasCloud
    frames = (50_000_000 - 1000) // 480  # 160 kbit/s frames of 480 bytes, and room for the tags
    audio = mp3_file((frames - 0.5) * FRAME_S, bitrate_kbps=160)
    assert len(audio) <= 50_000_000
    request = action_request("invoke_speech2text", "speech2text", "xai/stt-v1", creds, file=audio.hex())
    with PluginProcess("local", extra_env={"ATLASCLOUD_POLL_INTERVAL_S": str(scale)}) as plugin:
        warm = plugin.request(action_request("invoke_speech2text", "speech2text", "xai/stt-v1", creds,
                                             file=mp3_file(5.0).hex()))  # fmt: skip
        assert warm.ok, warm.message
        rest_kb = status_kb(plugin.process.pid, "VmRSS")
        started = time.monotonic()
        result = plugin.request(request, timeout=600)
        elapsed = time.monotonic() - started
        assert result.ok, result.message
        peak_kb = status_kb(plugin.process.pid, "VmHWM")
        after_kb = status_kb(plugin.process.pid, "VmRSS")
    print(f"2. largest audio accepted: {len(audio) / 1e6:.1f} MB MP3 ({len(audio) * 2 / 1e6:.0f} MB of hex on stdin)")
    growth = f"+{(peak_kb - rest_kb) / 1024:.0f} MiB = {(peak_kb - rest_kb) * 1024 / len(audio):.1f}x the audio"
    print(
        f"   transcribed in {elapsed:.1f} s; plugin RSS at rest {rest_kb / 1024:.0f} MiB, peak {peak_kb / 1024:.0f} MiB"
    )
    print(f"   ({growth}), after {after_kb / 1024:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.1, help="AtlasCloud's job times x this (default 0.1)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sim = Simulator().start()
    sim.state.media.config.time_scale = args.scale
    try:
        first_audio(sim, args.scale, args.runs)
        largest_audio(sim, args.scale)
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
