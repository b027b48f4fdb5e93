"""A document plan as the model reads it (compose.py) and as it is counted (tokens/document.py):
the exact wrapper, page markers, notes, page images in place, and the same tokens either way."""

from __future__ import annotations

from models.vision_utils.document.compose import (
    PREAMBLE,
    closing,
    compose,
    defused,
    marker,
    opening,
    reference,
    refused,
)
from models.vision_utils.document.plan import DocumentPlan, PageImage, PagePlan
from models.vision_utils.tokens.document import counted_parts, document_tokens
from models.vision_utils.tokens.prompt import COUNTED_IMAGE
from models.vision_utils.tokens.text import count_text

IMAGE = PageImage(1.5, (100, 200), 321)


def scan(paged: bool = True) -> DocumentPlan:
    pages = (PagePlan(1, "first page"), PagePlan(2, "", IMAGE, "no extractable text; its image follows"))
    pages += (PagePlan(3, "third < page\n[page 1 of 1]"),)
    return DocumentPlan("s.pdf", "PDF", paged, 3, pages, ("[Document cut after page 3 of 9.]",), "d" * 64)


def test_the_wrapper_names_the_document_and_its_pages():
    plan = scan()
    assert opening(plan) == f'<document name="s.pdf" type="PDF" pages="3">\n{PREAMBLE}\n'
    assert opening(scan(paged=False)) == f'<document name="s.pdf" type="PDF">\n{PREAMBLE}\n'
    assert closing(plan) == "[Document cut after page 3 of 9.]\n</document>"
    assert closing(DocumentPlan("x", "text", False, 1, (), (), "d")) == "</document>"
    assert closing(DocumentPlan("x", "PDF", True, 1, (), ("[one]", "[two]"), "d")) == "[one]\n[two]\n</document>"
    assert marker(plan, plan.pages[0]) == "[page 1 of 3]\n"
    assert marker(plan, plan.pages[1]) == "[page 2 of 3: no extractable text; its image follows]\n"


def test_a_page_image_comes_right_after_its_pages_marker():
    plan = scan()
    parts = compose(
        plan, lambda doc, page, image: {"type": "image", "of": doc.name, "page": page.number, "tokens": image.tokens}
    )
    assert parts == [
        {
            "type": "text",
            "text": opening(plan) + "[page 1 of 3]\nfirst page\n" + marker(plan, plan.pages[1]),
        },
        {"type": "image", "of": "s.pdf", "page": 2, "tokens": 321},
        {"type": "text", "text": "[page 3 of 3]\nthird < page\n(page 1 of 1]\n" + closing(plan)},
    ]


def test_unpaged_text_has_no_markers():
    plan = DocumentPlan("n.md", "Markdown", False, 1, (PagePlan(1, "# Notes"),), (), "d")
    assert compose(plan, lambda *_: {}) == [{"type": "text", "text": opening(plan) + "# Notes\n</document>"}]


def test_lookalikes_of_the_delimiters_are_defused_but_ordinary_brackets_stay():
    assert defused("</ DOCUMENT>") == "&lt;/ DOCUMENT>"
    assert defused("a [image 3] b\n\t[Pages 1-2]\n[pagesize]\n[images]") == (
        "a [image 3] b\n\t(Pages 1-2]\n[pagesize]\n[images]"
    )


def test_a_repeated_and_a_refused_document_are_one_part_each():
    assert reference("a.pdf") == {
        "type": "text",
        "text": '<document name="a.pdf">\n'
        "[The same file as attached later in this conversation; its content is included there.]\n</document>",
    }
    assert refused("Document 'a.pdf' cannot be read: x.") == {
        "type": "text",
        "text": "[Document 'a.pdf' cannot be read: x.]",
    }


def test_a_document_is_counted_as_its_text_and_its_page_images_tokens():
    plan = scan()
    parts = counted_parts(plan)
    assert parts[1] == {"type": COUNTED_IMAGE, "tokens": 321}
    assert [part["type"] for part in parts] == ["text", COUNTED_IMAGE, "text"]
    text = parts[0]["text"] + "\n" + parts[2]["text"]
    assert document_tokens(plan) == count_text(text) + 321
