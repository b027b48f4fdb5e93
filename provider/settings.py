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
