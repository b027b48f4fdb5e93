"""The plugin's log lines go to Dify's daemon, through the SDK's handler, at INFO and above.

Module loggers are plain `logging.getLogger(__name__)`; their package loggers get the level
here and the handler once, at start-up, so importing a module never touches logging.
"""

from __future__ import annotations

import logging

PACKAGES = ("provider", "models", "runtime")


def set_levels() -> None:
    """INFO for the plugin's own packages (what tests that read the log need too)."""
    for package in PACKAGES:
        logging.getLogger(package).setLevel(logging.INFO)


def send_to_daemon() -> None:
    """Add the SDK's handler (log events on stdout, which the daemon reads) to each package, once."""
    from dify_plugin.config.logger_format import plugin_logger_handler

    set_levels()
    for package in PACKAGES:
        logger = logging.getLogger(package)
        if plugin_logger_handler not in logger.handlers:
            logger.addHandler(plugin_logger_handler)
