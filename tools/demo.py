"""README command 1: run the plugin as Dify does and exercise it end to end from the terminal.

With ATLASCLOUD_API_KEY set it talks to AtlasCloud (ATLASCLOUD_ENDPOINT overrides the URL,
ATLASCLOUD_DEMO_MODEL the vision chat model); otherwise to the bundled local simulator.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testkit.documents import document_part, text_pdf  # noqa: E402
from testkit.images import encode, image_part, photo  # noqa: E402
from testkit.plugin_driver import PluginProcess, action_request, llm_request  # noqa: E402
from testkit.simulator.inspect import inspect_images  # noqa: E402
from testkit.simulator.server import Simulator  # noqa: E402


def step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def main() -> int:
    key = os.environ.get("ATLASCLOUD_API_KEY", "").strip()
    simulator = None
    if key:
        credentials = {"api_key": key, "endpoint_url": os.environ.get("ATLASCLOUD_ENDPOINT", "")}
        print(
            f"Talking to AtlasCloud at {credentials['endpoint_url'] or 'https://api.atlascloud.ai/v1'} "
            "(ATLASCLOUD_API_KEY is set; this spends a few cents at most)."
        )
    else:
        simulator = Simulator().start()
        credentials = {"api_key": simulator.state.api_key, "endpoint_url": simulator.base_url}
        print(f"ATLASCLOUD_API_KEY is not set: using the bundled local AtlasCloud simulator at {simulator.base_url}.")
    model = os.environ.get("ATLASCLOUD_DEMO_MODEL", "qwen/qwen3.5-27b")
    failures = 0
    try:
        with PluginProcess("local") as plugin:
            print(f"Plugin started as Dify starts it: `python -m main` (pid {plugin.process.pid}, stdio protocol).")

            step("Validate the provider credentials")
            result = plugin.request(action_request("validate_provider_credentials", "llm", None, credentials))
            print("valid" if result.ok else f"INVALID: {result.error_type}: {result.message}")
            failures += not result.ok

            step(f"Stream a chat answer from {model}")
            messages = [{"role": "user", "content": "In one sentence: why do reasoning models think first?"}]
            result = plugin.request(
                llm_request(model, credentials, messages, parameters={"max_tokens": 1024}),
                on_output=lambda out: print(out["delta"]["message"].get("content") or "", end="", flush=True),
            )
            print()
            failures += _report(result)

            step("Send a 4000x3000 phone photo (EXIF-rotated, with GPS) to the vision model")
            picture = photo(4000, 3000)
            exif = picture.getexif()
            exif[0x0112] = 6  # "rotate 90° clockwise to display"
            exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}  # GPS position
            raw = encode(picture, "JPEG", quality=92, exif=exif)
            content = [
                {"type": "text", "data": "What do you see?"},
                image_part(raw, "image/jpeg", filename="photo.jpg"),
            ]
            result = plugin.request(
                llm_request(
                    model,
                    credentials,
                    [{"role": "user", "content": content}],
                    parameters={"max_tokens": 1024},
                ),
                on_output=lambda out: print(out["delta"]["message"].get("content") or "", end="", flush=True),
            )
            print()
            failures += _report(result)
            if simulator is not None:
                sent = inspect_images(simulator.last_body())[0]
                print(
                    f"uploaded {len(raw) / 1e6:.1f} MB; AtlasCloud received {sent['format']} "
                    f"{sent['width']}x{sent['height']}, {sent['bytes'] / 1e3:.0f} kB, GPS present: {sent['has_gps']}"
                )

            failures += _document_step(plugin, credentials, model, simulator)
            failures += _embedding_step(plugin, credentials, simulator)
            failures += _rerank_step(plugin, credentials)
            failures += _voice_step(plugin, credentials)
    finally:
        if simulator is not None:
            simulator.stop()
    print("\nDemo finished " + ("successfully." if not failures else f"with {failures} failure(s)."))
    return 1 if failures else 0


def _document_step(plugin, credentials, model, simulator) -> int:
    step(f"Ask {model} about a 3-page PDF report")
    content = [
        {"type": "text", "data": "Summarise this report in one sentence."},
        document_part(text_pdf(3, lines=2), "application/pdf", "report.pdf"),
    ]
    result = plugin.request(
        llm_request(model, credentials, [{"role": "user", "content": content}], parameters={"max_tokens": 1024}),
        on_output=lambda out: print(out["delta"]["message"].get("content") or "", end="", flush=True),
    )
    print()
    if simulator is not None and result.ok:
        parts = simulator.last_body()["messages"][-1]["content"]
        document = next(part["text"] for part in parts if "<document" in part.get("text", ""))
        print(f"AtlasCloud received the PDF as text: {document.splitlines()[0]} ... ({len(document)} characters)")
    return _report(result)


def _voice_step(plugin, credentials) -> int:
    speaker = os.environ.get("ATLASCLOUD_TTS_MODEL", "xai/tts-v1")
    listener = os.environ.get("ATLASCLOUD_STT_MODEL", "xai/stt-v1")
    step(f"Speak a sentence with {speaker}, then transcribe it with {listener}")
    sentence = "Dify runs on AtlasCloud."
    request = action_request(
        "invoke_tts", "tts", speaker, credentials, content_text=sentence, voice="eve", tenant_id="demo"
    )
    spoken = plugin.request(request, timeout=300)
    if not spoken.ok:
        print(f"FAILED: {spoken.error_type}: {spoken.message}")
        return 1
    audio = spoken.audio()
    print(f"{len(audio) / 1e3:.1f} kB of MP3 streamed back")
    heard = plugin.request(
        action_request("invoke_speech2text", "speech2text", listener, credentials, file=audio.hex()), timeout=300
    )
    if not heard.ok:
        print(f"FAILED: {heard.error_type}: {heard.message}")
        return 1
    print(f"transcript: {heard.single()['result']!r}")
    return 0


def _embedding_step(plugin, credentials, simulator) -> int:
    model = os.environ.get("ATLASCLOUD_EMBEDDING_MODEL", "qwen/qwen3-embedding-8b")
    step(f"Embed two knowledge-base chunks with {model}")
    if simulator is not None:
        simulator.state.embeddings_enabled = True
    texts = ["AtlasCloud serves open-weight models.", "Dify builds LLM apps."]
    request = action_request(
        "invoke_text_embedding",
        "text-embedding",
        model,
        {**credentials, "context_size": "8192"},
        texts=texts,
        input_type="document",
    )
    result = plugin.request(request)
    if result.ok:
        vectors = result.single()["embeddings"]
        print(f"{len(vectors)} vectors of {len(vectors[0])} dimensions; {result.single()['usage']['tokens']} tokens")
        return 0
    if simulator is None and "does not serve embeddings" in result.message:
        print(f"As expected today: {result.message}")
        return 0
    print(f"FAILED: {result.error_type}: {result.message}")
    return 1


def _rerank_step(plugin, credentials) -> int:
    model = os.environ.get("ATLASCLOUD_RERANK_MODEL", "Qwen/Qwen3-235B-A22B-Instruct-2507")
    step(f"Rerank three passages with {model} as an LLM ranker")
    docs = ["Bananas are rich in potassium.", "Paris is the capital of France.", "France borders Spain."]
    request = action_request(
        "invoke_rerank",
        "rerank",
        model,
        credentials,
        query="What is the capital of France?",
        docs=docs,
        score_threshold=None,
        top_n=None,
    )
    result = plugin.request(request)
    if not result.ok:
        print(f"FAILED: {result.error_type}: {result.message}")
        return 1
    for doc in result.single()["docs"]:
        print(f"{doc['score']:.2f}  [{doc['index']}] {doc['text']}")
    return 0


def _report(result) -> int:
    if not result.ok:
        print(f"FAILED: {result.error_type}: {result.message}")
        return 1
    usage = result.usage() or {}
    print(
        f"[usage: {usage.get('prompt_tokens')} prompt + {usage.get('completion_tokens')} completion tokens, "
        f"${usage.get('total_price')}]"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
