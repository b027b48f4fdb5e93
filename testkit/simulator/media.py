"""AtlasCloud's asynchronous media API as the simulator serves it (docs/research/speech-api.md).

- `POST /api/v1/model/uploadMedia` (multipart `file`) stores the file behind a temporary URL
  (`/media/<token>/<name>`) that expires after `url_ttl_s`, answered 403 like a storage host.
- `POST /api/v1/model/generateAudio` checks the key, the balance, the model and its parameter
  schema (as AtlasCloud refuses a bad job before it runs), then creates a job.
- `GET /api/v1/model/prediction/{id}` walks the job through created -> pending -> processing ->
  completed (or `success_status`), over AtlasCloud's typical job times (10-60 s) times
  `time_scale`. A finished TTS job's output is a fresh temporary URL to real MP3 or WAV bytes
  (media_audio.py); an ASR job reads the uploaded file at its URL (an expired URL fails the job)
  and answers a transcript naming the bytes it read.
- `GET /api/v1/models` (public) lists the models with their schema URLs (`/schemas/<id>.json`).
- Faults, queued from the test (`MediaState.inject`): refusals at submit, jobs that fail (with a
  reason, in HTTP 200 or 5xx), lost answers, malformed and slow polls, expiring URLs.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from testkit.simulator import media_audio
from testkit.simulator.media_catalog import SIM_MEDIA_MODELS, SimMediaModel

API_PREFIX = "/api/v1/"
ASR_FORMATS = {"bytedance/seed-asr-2.0": {"mp3", "wav", "ogg"}}
KINDS = {
    "submit": ("status", "error_in_200", "no_id", "lost_answer", "string_code"),
    "job": ("fail", "fail_5xx", "timeout", "nsfw", "never"),
    "poll": ("poll_status", "poll_malformed", "poll_slow", "poll_flat"),
    "upload": ("upload_status",),
    "files": ("expire_first_url",),
}


@dataclass
class MediaFault:
    kind: str
    status: int = 500
    message: str = "simulated failure"
    code: Any = None
    seconds: float = 0.0
    times: int = 1


@dataclass
class MediaConfig:
    time_scale: float = 0.01  # AtlasCloud's job times x this (1.0: real time)
    base_s: float = 8.0  # a job's time at scale 1: base + per character (TTS) / per audio second (ASR)
    per_char_s: float = 0.03  # 1,000 characters -> 38 s
    per_audio_s: float = 0.2  # one minute of audio -> 20 s
    speech_s_per_char: float = 0.06  # how long the synthesised speech lasts
    mp3_kbps: int = 32
    url_ttl_s: float = 300.0
    success_status: str = "completed"
    models_listed: bool = True
    schemas_served: bool = True


@dataclass
class Job:
    id: str
    model: SimMediaModel
    body: dict[str, Any]
    created: float
    duration_s: float
    fault: MediaFault | None = None
    text: str | None = None  # an ASR job's transcript, once read
    audio: bytes | None = None  # a TTS job's result
    reason: str = ""


@dataclass
class StoredFile:
    name: str
    data: bytes
    content_type: str
    expires: float


@dataclass
class MediaState:
    config: MediaConfig = field(default_factory=MediaConfig)
    jobs: dict[str, Job] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    faults: list[MediaFault] = field(default_factory=list)
    submits: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.config = MediaConfig()
            self.jobs.clear()
            self.files.clear()
            self.faults.clear()
            self.submits.clear()

    def inject(self, kind: str, **options: Any) -> None:
        if not any(kind in kinds for kinds in KINDS.values()):
            raise ValueError(kind)
        with self.lock:
            self.faults.append(MediaFault(kind, **options))

    def take(self, group: str) -> MediaFault | None:
        with self.lock:
            for fault in self.faults:
                if fault.kind in KINDS[group] and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def store(self, name: str, data: bytes, content_type: str, ttl_s: float) -> str:
        token = uuid.uuid4().hex
        with self.lock:
            self.files[token] = StoredFile(name, data, content_type, time.monotonic() + ttl_s)
        return f"/media/{token}/{name}"


def serves(path: str) -> bool:
    return path.startswith((API_PREFIX, "/media/", "/schemas/"))


def _origin(h: Any) -> str:
    return f"http://{h.headers.get('Host', '127.0.0.1')}"


# --- GET ------------------------------------------------------------------------------------------
def get(h: Any, state: Any) -> None:
    media: MediaState = state.media
    path = h.path.split("?")[0]
    if path == f"{API_PREFIX}models":
        if not media.config.models_listed:
            return h._envelope(404, "not found")
        listing = [model.listing(_origin(h)) for model in SIM_MEDIA_MODELS.values()]
        return h._send_json(200, {"code": "200", "msg": "success", "data": listing})
    if path.startswith("/schemas/") and path.endswith(".json"):
        model = SIM_MEDIA_MODELS.get(unquote(path.removeprefix("/schemas/").removesuffix(".json")))
        if model is None or not media.config.schemas_served:
            return h._envelope(404, "no such schema")
        return h._send_json(200, model.schema())
    if path.startswith("/media/"):
        return _serve_file(h, media, path)
    if path.startswith(f"{API_PREFIX}model/prediction/"):
        if not h._authorised():
            return h._envelope(401, "unauthorized")
        return _poll(h, media, unquote(path.rsplit("/", 1)[-1]))
    return h._envelope(404, "not found")


def _serve_file(h: Any, media: MediaState, path: str) -> None:
    token = path.split("/")[2] if path.count("/") >= 3 else ""
    with media.lock:
        stored = media.files.get(token)
    if stored is None or stored.expires < time.monotonic():
        body = b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
        h.send_response(403)
        h.send_header("Content-Type", "application/xml")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
        return None
    h.send_response(200)
    h.send_header("Content-Type", stored.content_type)
    h.send_header("Content-Length", str(len(stored.data)))
    h.end_headers()
    h.wfile.write(stored.data)
    return None


def _status_of(job: Job, now: float, success: str) -> str:
    elapsed = now - job.created
    if job.fault is not None and job.fault.kind == "never":
        return "processing"
    if elapsed < 0.1 * job.duration_s:
        return "created"
    if elapsed < 0.3 * job.duration_s:
        return "pending"
    if elapsed < job.duration_s:
        return "processing"
    return success


def _poll(h: Any, media: MediaState, job_id: str) -> None:
    with media.lock:
        job = media.jobs.get(job_id)
    if job is None:
        return h._envelope(404, f"prediction {job_id} not found")
    fault = media.take("poll")
    if fault and fault.kind == "poll_slow":
        time.sleep(fault.seconds)
    if fault and fault.kind == "poll_status":
        return h._envelope(fault.status, fault.message)
    if fault and fault.kind == "poll_malformed":
        body = b"<html><body>502 Bad Gateway</body></html>"
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
        return None
    status = _status_of(job, time.monotonic(), media.config.success_status)
    data: dict[str, Any] = {"id": job.id, "model": job.model.id, "status": status, "outputs": []}
    http_status = 200
    if status == media.config.success_status:
        http_status, data = _finish(h, media, job, data)
    envelope: dict[str, Any] = {"code": 200 if http_status == 200 else http_status, "message": "", "data": data}
    if http_status != 200:
        envelope["message"] = data.get("error", "")
    return h._send_json(http_status, data if fault and fault.kind == "poll_flat" else envelope)


def _finish(h: Any, media: MediaState, job: Job, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    fault = job.fault
    if fault and fault.kind in ("fail", "fail_5xx", "timeout"):
        data.update(status="timeout" if fault.kind == "timeout" else "failed", error=fault.message)
        if fault.code is not None:
            data["error_code"] = fault.code
        return (500 if fault.kind == "fail_5xx" else 200), data
    if fault and fault.kind == "nsfw":
        data.update(outputs=[], has_nsfw_contents=[True])
        return 200, data
    if job.model.kind == "asr":
        if job.text is None:
            job.reason, job.text = _transcribe(media, job)
        if job.reason:
            data.update(status="failed", error=job.reason)
        else:
            data.update(outputs=[job.text], stt_result={"text": job.text, "language": "en"})
        return 200, data
    name = f"{job.id}.{job.model.output}"
    content_type = "audio/mpeg" if job.model.output == "mp3" else "audio/wav"
    expired_now = media.take("files")
    ttl = -1.0 if expired_now else media.config.url_ttl_s
    data["outputs"] = [_origin(h) + media.store(name, job.audio or b"", content_type, ttl)]
    return 200, data


def _transcribe(media: MediaState, job: Job) -> tuple[str, str]:
    """(failure reason, transcript): reads the audio at the job's URL as the service would."""
    url = str(job.body.get(job.model.audio_field) or "")
    token = url.split("/media/", 1)[-1].split("/")[0] if "/media/" in url else ""
    with media.lock:
        stored = media.files.get(token)
    if stored is None or stored.expires < time.monotonic():
        return "failed to download the audio: the URL is not reachable or has expired", ""
    kind = media_audio.format_of(stored.data)
    accepted = ASR_FORMATS.get(job.model.id)
    if kind is None or (accepted is not None and kind not in accepted):
        return f"unsupported audio format: {kind or 'unknown'}", ""
    declared = job.body.get("format")
    if declared is not None and declared != kind:
        return f"audio format mismatch: format is {declared} but the file is {kind}", ""
    digest = hashlib.sha256(stored.data).hexdigest()[:16]
    return "", f"Simulated transcript of {len(stored.data)} bytes of {kind} audio (sha256 {digest})."


# --- POST -----------------------------------------------------------------------------------------
def post(h: Any, state: Any) -> None:
    length = int(h.headers.get("Content-Length") or 0)
    raw = h.rfile.read(length) if length else b""
    if h.path == f"{API_PREFIX}model/uploadMedia":
        h._record({"multipart": True, "bytes": len(raw)})
        return _upload(h, state, raw)
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    h._record(body)
    if not h._authorised():
        return h._envelope(401, "Invalid API key")
    if h.path != f"{API_PREFIX}model/generateAudio":
        return h._envelope(404, f"no route for {h.path}")
    return _submit(h, state, body)


def _upload(h: Any, state: Any, raw: bytes) -> None:
    media: MediaState = state.media
    if not h._authorised():
        return h._envelope(401, "Invalid API key")
    fault = media.take("upload")
    if fault:
        return h._envelope(fault.status, fault.message)
    part = _file_part(h.headers.get("Content-Type", ""), raw)
    if part is None:
        return h._envelope(400, "file is required")
    name, content_type, data = part
    path = media.store(name, data, content_type, media.config.url_ttl_s)
    reply = {"type": content_type, "download_url": _origin(h) + path, "filename": name, "size": len(data)}
    return h._send_json(200, {"code": 200, "message": "success", "data": reply})


def _file_part(content_type: str, raw: bytes) -> tuple[str, str, bytes] | None:
    if "boundary=" not in content_type:
        return None
    boundary = b"--" + content_type.split("boundary=", 1)[1].strip().strip('"').encode()
    for part in raw.split(boundary):
        head, _, data = part.partition(b"\r\n\r\n")
        if b'name="file"' not in head:
            continue
        name = head.split(b'filename="', 1)[1].split(b'"', 1)[0].decode() if b'filename="' in head else "file"
        kind = b"application/octet-stream"
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-type:"):
                kind = line.split(b":", 1)[1].strip()
        return name, kind.decode(), data.removesuffix(b"\r\n")
    return None


def _refusal(model: SimMediaModel, body: dict[str, Any]) -> str | None:
    params = {k: v for k, v in body.items() if k != "model"}
    missing = [key for key in model.required if params.get(key) in (None, "")]
    unknown = [key for key in params if key not in model.properties]
    bad = [
        key
        for key, rule in model.properties.items()
        if "enum" in rule and key in params and params[key] not in rule["enum"]
    ]
    if missing or unknown or bad:
        return f"invalid params: missing {missing}, unknown {unknown}, not allowed values for {bad}"
    return None


def _submit(h: Any, state: Any, body: Any) -> None:
    media: MediaState = state.media
    if state.balance == "insufficient":
        return h._envelope(402, "Insufficient balance, please top up")
    fault = media.take("submit")
    if fault and fault.kind == "status":
        return h._envelope(fault.status, fault.message)
    if fault and fault.kind == "error_in_200":
        return h._send_json(200, {"code": fault.status, "msg": fault.message, "data": None})
    if not isinstance(body, dict):
        return h._envelope(400, "request body is not valid JSON")
    model = SIM_MEDIA_MODELS.get(str(body.get("model")))
    if model is None:
        return h._envelope(404, f"model {body.get('model')!r} not found")
    if model.kind == "image":
        return h._envelope(400, f"model {model.id} is not an audio model")
    problem = _refusal(model, body)
    if problem:
        return h._envelope(400, problem)
    job = _new_job(media, model, body)
    if fault and fault.kind == "lost_answer":  # the job exists (and is billed); the answer never comes
        h.close_connection = True
        return None
    if fault and fault.kind == "no_id":
        return h._send_json(200, {"code": 200, "data": {"status": "created"}})
    code: Any = "200" if fault and fault.kind == "string_code" else 200
    return h._send_json(200, {"code": code, "message": "", "data": {"id": job.id, "status": "created"}})


def _new_job(media: MediaState, model: SimMediaModel, body: dict[str, Any]) -> Job:
    config = media.config
    if model.kind == "tts":
        text = str(body.get("text") or "")
        seconds = config.base_s + config.per_char_s * len(text)
        speech_s = max(0.5, config.speech_s_per_char * len(text))
        audio = (
            media_audio.mp3_file(speech_s, bitrate_kbps=config.mp3_kbps, tag=piece_tag(text))
            if model.output == "mp3"
            else media_audio.wav_file(speech_s)
        )
    else:  # an ASR job takes longer for longer audio (its size at 32 kbit/s stands in for its length)
        seconds, audio = config.base_s + config.per_audio_s * _uploaded_bytes(media, model, body) * 8 / 32000, None
    job = Job(uuid.uuid4().hex, model, body, time.monotonic(), seconds * config.time_scale, media.take("job"))
    job.audio = audio
    with media.lock:
        media.jobs[job.id] = job
        media.submits.append(body)
    return job


def piece_tag(text: str) -> bytes:
    """The 8 bytes every frame of a TTS job's audio carries: which text it speaks."""
    return hashlib.sha256(text.encode()).digest()[:8]


def _uploaded_bytes(media: MediaState, model: SimMediaModel, body: dict[str, Any]) -> int:
    url = str(body.get(model.audio_field) or "")
    token = url.split("/media/", 1)[-1].split("/")[0] if "/media/" in url else ""
    with media.lock:
        stored = media.files.get(token)
    return len(stored.data) if stored else 0
