"""The one exception type that blames the user's input (kept free of heavy imports on purpose).

Everything else that goes wrong is the upstream's or the plugin's fault, and provider/errors.py
never reports it as a bad request.
"""

from __future__ import annotations


class UserInputError(ValueError):
    """A value the user or administrator supplied cannot be used; the message says what to change."""
