"""Start-up: every change this plugin makes to its process, in one place, then the SDK's loop.

Importing any module of the plugin changes nothing global; `start` (from `python -m main`)
does it all, in this order: log routing, the settings (read once, each bad value logged), the
allocator and Pillow settings, the faster stdin reader, and warm-up before the first heartbeat.
"""

from __future__ import annotations

import logging

from dify_plugin import Plugin

from models.vision_utils.image.budget import image_memory, release_large_blocks_to_the_os
from models.vision_utils.image.header import configure_pillow
from provider.settings import settings
from runtime import logs
from runtime.count_filter import ImageHeadersForCounts
from runtime.stdin_reader import read_requests_in_larger_pieces
from runtime.warmup import warm_up

logger = logging.getLogger(__name__)


def configure_converter() -> None:
    """What the image converter needs of its process (in-process tests and benchmarks use it too):
    freed image memory returned to the system, Pillow's limits and HEIF opener, the one budget."""
    release_large_blocks_to_the_os()
    configure_pillow()
    image_memory()


def configure_process() -> None:
    """Every process-wide setting but the stdin reader."""
    logs.send_to_daemon()
    settings()
    configure_converter()


def start(plugin: Plugin) -> None:
    configure_process()
    if not read_requests_in_larger_pieces(ImageHeadersForCounts):
        logger.warning(
            "the SDK's stdin reader is not the one this plugin patches; large requests are read the SDK's way"
        )
    warm_up()
    plugin.run()
