"""The HTML reader in this process: the text a browser would show (title, blocks as lines, cells,
<pre>), what is hidden left out, where reading stops, and how deep nesting is refused first."""

from __future__ import annotations

import pytest

from models.vision_utils.document import html_reader
from models.vision_utils.document.html_reader import html_text, nesting_estimate, read_html
from models.vision_utils.document.protocol import ReaderError


@pytest.mark.parametrize(
    ("raw", "depth"),
    [
        (b"<div><span>x</span></div>", 2),
        (b"<div></div><div><div></div></div>", 2),
        (b"</div></div><div>x</div>", 1),  # stray closing tags do not go below zero
        (b"<DIV><Section><br/><img src=x><P>y</DIV>", 2),
        (b"<div><x-widget/><div/></div>", 1),
        (b"<br><hr><div><div></div></div>", 2),
        (b"<div><div><div></div><div><div></div></div></div></div>", 4),
        (b"<ul><li>a<li>b</ul><table><tr><td>c</table>", 1),
    ],
)
def test_nesting_is_estimated_from_the_tags_alone(raw: bytes, depth: int):
    assert nesting_estimate(raw) == depth


def test_a_page_nested_deeper_than_the_limit_is_refused_and_one_at_it_is_read(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(html_reader, "MAX_NESTING", 3)
    assert html_text(b"<div><div><div>deep</div></div></div>", 100) == ("deep", False)
    with pytest.raises(ReaderError) as caught:
        html_text(b"<div><div><div><div>deeper</div></div></div></div>", 100)
    assert caught.value.message == "its elements are nested more than 3 levels deep"


def test_the_title_comes_first_then_the_body_as_lines():
    page = b"<html><head><title>\n  A   title </title></head><body><h1>Head</h1><p>para</p>tail</body></html>"
    assert html_text(page, 1000) == ("A title\n\nHead\npara\ntail", False)


def test_a_page_without_a_title_is_its_body_alone():
    assert html_text(b"<p>only</p>", 1000) == ("only", False)


def test_hidden_elements_are_left_out_as_a_browser_would():
    page = (
        b"<p>a</p><p style='visibility: HIDDEN'>b</p><p style='color: red'>c</p>"
        b"<p style='display:none'>d</p><iframe>e</iframe><object>f</object><math>g</math><p>h</p>"
    )
    assert html_text(page, 1000)[0] == "a\nc\nh"


def test_cells_are_tab_separated_and_pre_keeps_its_layout():
    page = b"<table><tr><th>h1</th><th>h2</th></tr><tr><td>a</td><td>b</td></tr></table>"
    page += b"<pre>  x =\t1\n\n  y</pre>"
    assert html_text(page, 1000)[0] == "h1\th2\na\tb\n\n  x = 1\n\n  y"


def test_whitespace_collapses_and_lines_are_trimmed():
    assert html_text(b"<div>  one \n  two  </div><div>\tthree\t</div>", 1000)[0] == "one two\nthree"


def test_reading_stops_at_the_characters_asked_for():
    assert html_text(b"<p>abcdef</p>", 6) == ("abcdef", False)
    assert html_text(b"<p>abcdef</p>", 5) == ("abcde", True)


def test_a_page_larger_than_the_reader_takes_is_read_in_part(monkeypatch: pytest.MonkeyPatch):
    page = b"<p>abcdef</p>"
    monkeypatch.setattr(html_reader, "MAX_HTML_CHARS", len(page))
    assert html_text(page, 100) == ("abcdef", False)
    monkeypatch.setattr(html_reader, "MAX_HTML_CHARS", len(page) - 1)
    text, cut = html_text(page, 100)
    assert cut and text.startswith("abcdef")


def test_the_declared_charset_decodes_the_page():
    page = b"<meta charset='windows-1251'><p>" + "Привет".encode("cp1251") + b"</p>"
    assert html_text(page, 100)[0] == "Привет"


def test_an_html_file_is_one_page_of_text():
    assert read_html(b"<p>x</p>", 100) == {
        "kind": "HTML",
        "total_pages": 1,
        "pages": [{"text": "x", "w": 0, "h": 0, "image": False}],
        "cut": False,
    }
    assert read_html(b"<p>xyz</p>", 2)["cut"]


def test_pre_keeps_nested_text_and_every_tab():
    assert html_text(b"<pre><b>bold</b>\t\tgap</pre>", 1000)[0] == "bold  gap"


def test_lines_are_trimmed_of_spaces_only():
    assert html_text(b"<p>Xylophone X</p><p> Xenon </p>", 1000)[0] == "Xylophone X\nXenon"


@pytest.mark.parametrize(
    ("html", "text"),
    [
        (b"<body>intro<p>para</p>tail</body>", "intro\npara\ntail"),
        (b"<h1>T</h1>lead <b>bold</b> words<div>d</div>", "T\nlead bold words\nd"),
        (b"<p>a</p> <div><p>b</p></div>", "a\nb"),
        (b"a<p></p>b", "a\nb"),
        (b"x<br><br>y", "x\n\ny"),
    ],
)
def test_text_right_before_a_block_ends_its_line_as_a_browser_shows_it(html: bytes, text: str) -> None:
    assert html_text(html, 1000) == (text, False)
