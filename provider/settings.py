"""Every setting an administrator can give the plugin, read from the environment in one place.

Reading is lenient: a value that cannot be used is logged with the variable's name and the
default stands, so a typo never stops the plugin from starting. `settings()` reads once per
process; `read_settings` is pure, for tests.

| variable | default | used by |
|---|---|---|
| ATLASCLOUD_TOTAL_TIMEOUT_S | 570 | provider/deadline.py: one invocation's whole budget |
| ATLASCLOUD_READ_TIMEOUT_S | 600 | provider/deadline.py: the longest wait for one read |
| ATLASCLOUD_IMAGE_MEMORY_MB | 384 | models/vision_utils/image/budget.py: decoding memory, all requests together |
| ATLASCLOUD_FETCH_TIMEOUT_S | 20 | models/vision_utils/download/fetch.py: one download, redirects included |
| ATLASCLOUD_ALLOWED_FILE_HOSTS | (none) | models/vision_utils/download/: internal hosts downloads may reach |
| ATLASCLOUD_POLL_INTERVAL_S | 1 | provider/media.py: the first wait between polls of a media job (it grows to 5x) |
| ATLASCLOUD_DOCUMENT_MAX_PAGES | 500 | models/vision_utils/document/: pages read from one document |
| ATLASCLOUD_DOCUMENT_MAX_CHARS | 400000 | document/: characters of text sent per document |
| ATLASCLOUD_DOCUMENT_MAX_TOKENS | 120000 | document/: tokens (text and page images) per document |
| ATLASCLOUD_DOCUMENT_REQUEST_MAX_CHARS | 1000000 | document/: characters of all documents in one request |
| ATLASCLOUD_DOCUMENT_REQUEST_MAX_TOKENS | 200000 | document/: tokens of all documents in a request (at most 90 % of
  what the model's context leaves) |
| ATLASCLOUD_DOCUMENT_PAGE_IMAGES | 50 | document/: page images per request (vision models) |
| ATLASCLOUD_DOCUMENT_READ_MEMORY_MB | 256 | document/: address space one document reader process may map |
| ATLASCLOUD_DOCUMENT_READ_TIMEOUT_S | 60 | document/: time (CPU and wall clock) one document reader process may take |
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    total_timeout_s: float = 570.0
    read_timeout_s: float = 600.0
    image_memory_mb: int = 384
    fetch_timeout_s: float = 20.0
    allowed_file_hosts: str = ""
    poll_interval_s: float = 1.0
    document_max_pages: int = 500
    document_max_chars: int = 400_000
    document_max_tokens: int = 120_000
    document_request_max_chars: int = 1_000_000
    document_request_max_tokens: int = 200_000
    document_page_images: int = 50
    document_read_memory_mb: int = 256
    document_read_timeout_s: float = 60.0

    @property
    def image_memory_bytes(self) -> int:
        return self.image_memory_mb * 2**20


def _whole_number(raw: str) -> int:
    if not raw.isdigit():
        raise ValueError(raw)
    return int(raw)


# variable -> (field, parse, lowest, highest); values outside the range are refused, except that
# the fetch timeout is raised to its floor (a zero timeout would refuse every download).
_NUMBERS: dict[str, tuple[str, Callable[[str], float], float, float]] = {
    "ATLASCLOUD_TOTAL_TIMEOUT_S": ("total_timeout_s", float, 1.0, 86400.0),
    "ATLASCLOUD_READ_TIMEOUT_S": ("read_timeout_s", float, 0.1, 86400.0),
    "ATLASCLOUD_IMAGE_MEMORY_MB": ("image_memory_mb", _whole_number, 64, 65536),
    "ATLASCLOUD_FETCH_TIMEOUT_S": ("fetch_timeout_s", float, -math.inf, 3600.0),
    "ATLASCLOUD_POLL_INTERVAL_S": ("poll_interval_s", float, 0.01, 60.0),
    "ATLASCLOUD_DOCUMENT_MAX_PAGES": ("document_max_pages", _whole_number, 1, 100_000),
    "ATLASCLOUD_DOCUMENT_MAX_CHARS": ("document_max_chars", _whole_number, 1000, 50_000_000),
    "ATLASCLOUD_DOCUMENT_MAX_TOKENS": ("document_max_tokens", _whole_number, 100, 10_000_000),
    "ATLASCLOUD_DOCUMENT_REQUEST_MAX_CHARS": ("document_request_max_chars", _whole_number, 1000, 50_000_000),
    "ATLASCLOUD_DOCUMENT_REQUEST_MAX_TOKENS": ("document_request_max_tokens", _whole_number, 100, 10_000_000),
    "ATLASCLOUD_DOCUMENT_PAGE_IMAGES": ("document_page_images", _whole_number, 0, 500),
    # Measured: reading a PDF fits in 48 MB; rendering a page (a 2048 px bitmap) ~96 MB, ~105 MB for a 35 MP scan.
    "ATLASCLOUD_DOCUMENT_READ_MEMORY_MB": ("document_read_memory_mb", _whole_number, 128, 65536),
    "ATLASCLOUD_DOCUMENT_READ_TIMEOUT_S": ("document_read_timeout_s", float, 1.0, 570.0),
}
FETCH_TIMEOUT_FLOOR_S = 0.1


def read_settings(environ: Mapping[str, str], warn: Callable[[str], None] = logger.warning) -> Settings:
    values: dict[str, object] = {"allowed_file_hosts": environ.get("ATLASCLOUD_ALLOWED_FILE_HOSTS", "").strip()}
    for variable, (name, parse, lowest, highest) in _NUMBERS.items():
        raw = environ.get(variable, "")
        if not raw.strip():
            continue
        try:
            number = parse(raw)
        except ValueError:
            number = math.nan
        if not lowest <= number <= highest:
            warn(f"{variable}={raw[:40]!r} is not a number within [{lowest:g}, {highest:g}]; using the default")
            continue
        values[name] = number
    fetch_timeout = values.get("fetch_timeout_s")
    if isinstance(fetch_timeout, float):
        values["fetch_timeout_s"] = max(fetch_timeout, FETCH_TIMEOUT_FLOOR_S)
    return Settings(**values)  # type: ignore[arg-type]


@cache
def settings() -> Settings:
    """The process's settings, read from its environment the first time they are needed."""
    return read_settings(os.environ)
