"""Extracted text made plain and safe to send (stdlib only: the reader process imports it too).

Removed: control characters (but tab and newline), byte-order marks, lone surrogates (they
cannot be encoded as UTF-8, so the request could not be sent), and the Unicode bidi controls
that can make text read differently from how it is stored ("Trojan Source", CVE-2021-42574).
Line ends become `\\n`, trailing spaces go, blank-line runs and very long runs of spaces
shrink: hostile files pad with whitespace, and every character costs tokens.
"""

from __future__ import annotations

import re

_DROPPED = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufeff\ufffe\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_LINE_ENDS = re.compile(r"\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_TRAILING = re.compile(r"[ \t\u00a0\u3000]+$", re.MULTILINE)
_BLANK_RUNS = re.compile(r"\n{3,}")
_LONG_SPACES = re.compile(r"[ \t]{17,}")


def clean_text(text: str) -> str:
    text = _LINE_ENDS.sub("\n", text)
    text = _DROPPED.sub("", text)
    text = _TRAILING.sub("", text)
    text = _LONG_SPACES.sub(" " * 16, text)
    return _BLANK_RUNS.sub("\n\n", text).strip("\n")
