"""Bytes of a text file -> str (stdlib only: the reader process imports it too).

A byte-order mark decides (UTF-8, UTF-16, UTF-32); otherwise strict UTF-8, then a charset an
HTML file declares in its first bytes, then GB18030 (Chinese; strict, so most Latin-1 text
fails it), then Windows-1252 with replacement characters. Text files carry no charset, and
the plugin cannot rely on the host's CPython having charset detection, so this order favours
what Dify's users upload: UTF-8 everywhere, GBK from Chinese Windows.
"""

from __future__ import annotations

import codecs
import re

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)


def bom_encoding(raw: bytes) -> tuple[str, int] | None:
    """(codec, BOM length) when `raw` starts with a byte-order mark."""
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            return codec, len(bom)
    return None


def declared_charset(raw: bytes) -> str | None:
    """The charset an HTML file declares in a <meta> tag of its first 4 kB, if Python knows it."""
    match = _META_CHARSET.search(raw[:4096])
    if not match:
        return None
    try:
        return codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return None


def decode_text(raw: bytes, html: bool = False) -> str:
    found = bom_encoding(raw)
    if found:
        codec, skip = found
        return raw[skip:].decode(codec, errors="replace")
    candidates = ["utf-8"]
    charset = declared_charset(raw) if html else None
    if charset:
        candidates.append(charset)
    candidates.append("gb18030")
    for codec in candidates:
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return raw.decode("cp1252", errors="replace")
