"""Long text -> pieces a TTS model synthesises one job each, cut at sentence boundaries.

The first piece is the first sentence alone (or the first few, when they are very short), so its
job is short and the first audio reaches the user early; the rest are packed up to the model's
limit (`word_limit`, characters). A sentence longer than the limit is cut at a clause mark,
else at a space, else anywhere. Pieces with nothing to pronounce (punctuation, spaces) are left
out: each piece is a billed job.
"""

from __future__ import annotations

import re

# A sentence ends after . ! ? ; followed by a space or the end (not 3.14, a.b or a URL's ?q=1),
# or after the CJK marks and the ellipsis (no space follows them), with any closing quotes or
# brackets; a line break ends one too.
_SENTENCE_END = re.compile(r"(?:[.!?;]+(?=\s|$)|[。！？；…]+)[\"'”’」』）)\]]*\s*|\n\s*")
_CLAUSE_END = re.compile(r"[,，、:：;；—]\s*")
# A first piece shorter than this takes the next sentence too ("Hi." alone is a poor first job).
MIN_FIRST_CHARS = 24


def sentences(text: str) -> list[str]:
    """The text cut after each sentence end; joined back they give the text (without its edges' spaces)."""
    found, start = [], 0
    for match in _SENTENCE_END.finditer(text):  # matches are never empty: each ends past `start`
        found.append(text[start : match.end()])
        start = match.end()
    found.append(text[start:])  # the rest ("" when the text ends with a sentence end: dropped below)
    return [piece for piece in found if piece.strip()]


def _cut(sentence: str, limit: int) -> list[str]:
    """A sentence longer than `limit`, at clause marks, else spaces, else anywhere."""
    parts: list[str] = []
    rest = sentence
    while len(rest) > limit:
        window = rest[:limit]
        cut = max((m.end() for m in _CLAUSE_END.finditer(window)), default=0)
        if cut < max(1, limit // 3):  # a cut at 0 would never end
            space = window.rfind(" ")
            cut = space + 1 if space >= limit // 3 else limit
        parts.append(rest[:cut])
        rest = rest[cut:]
    if rest:
        parts.append(rest)
    return parts


def _speakable(piece: str) -> bool:
    return any(character.isalnum() for character in piece)


def pieces(text: str, limit: int) -> list[str]:
    """The text in pieces of at most `limit` characters; the first one short (module doc)."""
    units = [part for sentence in sentences(text.strip()) for part in _cut(sentence, limit)]
    units = [unit for unit in units if _speakable(unit)]
    if not units:
        return []
    first = units.pop(0)
    while units and len(first.strip()) < MIN_FIRST_CHARS and len(first) + len(units[0]) <= limit:
        first += units.pop(0)
    packed = [first]
    current = ""
    for unit in units:
        if current and len(current) + len(unit) > limit:
            packed.append(current)
            current = ""
        current += unit
    if current:
        packed.append(current)
    return [piece.strip() for piece in packed]
