"""The readable text of an HTML file, with lexbor (selectolax). Runs in the reader process.

Python's own html.parser is quadratic on crafted input in the CPython versions a host may run
(CVE-2025-6069), so HTML goes to lexbor, inside the limited reader process. lexbor is itself
slow on very deep nesting (quadratic: 200k nested elements took minutes), so the nesting is
estimated first, in linear time, and a file nested deeper than any real page is refused.

What a browser would not show is left out: scripts, styles, templates, embedded objects,
elements marked `hidden` or styled `display:none` / `visibility:hidden` inline. Blocks become
lines, table cells are tab-separated, `<pre>` keeps its layout; other whitespace collapses as
a browser collapses it.
"""

from __future__ import annotations

import re
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from models.vision_utils.document.cleanup import clean_text
from models.vision_utils.document.encoding import decode_text
from models.vision_utils.document.protocol import ReaderError

# A page this large is a data dump, not a document; lexbor needs ~25 bytes of memory per input byte.
MAX_HTML_CHARS = 8 * 1024 * 1024
MAX_NESTING = 4096
_INVISIBLE = "script, style, noscript, template, svg, math, iframe, object, embed, head, [hidden]"
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_BLOCKS = (
    "address, article, aside, blockquote, br, caption, dd, details, dialog, div, dl, dt, fieldset, figcaption, "
    "figure, footer, form, h1, h2, h3, h4, h5, h6, header, hr, li, main, nav, ol, p, section, summary, table, "
    "tr, ul"
)
_LINE, _CELL, _KEPT_SPACE = "\x1e", "\x1f", "\x1d"  # markers that survive whitespace collapsing
_OPEN = "\x1c"  # a block's start: a line break unless one is there already
_OPENS = re.compile("(?:\n? ?\x1c)+(?: ?\n)?")
_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
_TAG = re.compile(rb"<(/?)([A-Za-z][A-Za-z0-9:-]{0,40})[^<>]*?(/?)>")
# Elements that never hold others, or that the parser closes by itself: they add no nesting.
_FLAT = frozenset(
    b"area base br col embed hr img input link meta param source track wbr p li dt dd option optgroup tr td th "
    b"thead tbody tfoot colgroup caption rb rt rp html head body".split()
)


def nesting_estimate(raw: bytes) -> int:
    """The deepest nesting of the file's tags, counted in one pass without parsing (an upper bound
    for well-formed pages; elements the parser closes by itself are not counted)."""
    depth = deepest = 0
    for closing, name, self_closing in _TAG.findall(raw):
        if name.lower() in _FLAT or self_closing:
            continue
        if closing:
            depth = max(depth - 1, 0)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def html_text(raw: bytes, max_chars: int) -> tuple[str, bool]:
    """(text, cut): the visible text, at most `max_chars` characters."""
    if nesting_estimate(raw) > MAX_NESTING:
        raise ReaderError("nesting", f"its elements are nested more than {MAX_NESTING} levels deep")
    source = decode_text(raw, html=True)
    cut = len(source) > MAX_HTML_CHARS
    tree = LexborHTMLParser(source[:MAX_HTML_CHARS])
    title_node = tree.css_first("title")
    title = _WHITESPACE.sub(" ", title_node.text()).strip() if title_node is not None else ""
    for node in tree.css(_INVISIBLE):
        node.decompose()
    for node in tree.css("[style]"):
        if _HIDDEN_STYLE.search(node.attributes.get("style") or ""):
            node.decompose()
    for node in tree.css("pre"):
        kept = node.text(deep=True).replace("\n", _LINE).replace(" ", _KEPT_SPACE).replace("\t", _KEPT_SPACE)
        node.replace_with(_LINE + kept + _LINE)
    for node in tree.css("td, th"):
        node.insert_after(_CELL)
    for node in tree.css(_BLOCKS):
        if node.tag != "br":
            node.insert_before(_OPEN)
        node.insert_after(_LINE)
    body = tree.body
    text = body.text(deep=True, separator="") if body is not None else ""
    text = _WHITESPACE.sub(" ", text).replace(_CELL, "\t").replace(_LINE, "\n")
    text = _OPENS.sub("\n", text)
    text = "\n".join(line.strip(" ") for line in text.split("\n")).replace(_KEPT_SPACE, " ")
    text = clean_text(f"{title}\n\n{text}" if title else text)
    if len(text) > max_chars:
        return text[:max_chars], True
    return text, cut


def read_html(data: bytes, max_chars: int) -> dict[str, Any]:
    text, cut = html_text(data, max_chars)
    return {"kind": "HTML", "total_pages": 1, "pages": [{"text": text, "w": 0, "h": 0, "image": False}], "cut": cut}
