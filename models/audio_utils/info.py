"""What the plugin knows about one audio file once it has been read: its format and length."""

from __future__ import annotations

from dataclasses import dataclass

# format -> (file extension, MIME type). The extensions and types are the ones AtlasCloud's
# uploader maps (MCP server src/services/api-client.ts UPLOAD_MIME_TYPES); webm is the browser
# recorders' container.
FORMATS: dict[str, tuple[str, str]] = {
    "mp3": ("mp3", "audio/mpeg"),
    "wav": ("wav", "audio/wav"),
    "m4a": ("m4a", "audio/mp4"),
    "webm": ("webm", "audio/webm"),
    "ogg": ("ogg", "audio/ogg"),
    "flac": ("flac", "audio/flac"),
}
# How each format is named to people.
DISPLAY = {"mp3": "MP3", "wav": "WAV", "m4a": "M4A (MPEG-4 audio)", "webm": "WebM", "ogg": "Ogg", "flac": "FLAC"}


@dataclass(frozen=True)
class AudioInfo:
    format: str  # a key of FORMATS
    size: int  # bytes
    duration_s: float  # as the container states it, or as counted from its frames

    @property
    def extension(self) -> str:
        return FORMATS[self.format][0]

    @property
    def mime_type(self) -> str:
        return FORMATS[self.format][1]
