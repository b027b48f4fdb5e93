"""The plan of one document against its budgets (plan.py), beyond test_document_plan.py: which
limit a note names, where a page is cut, and what the request's budget has left afterwards."""

from __future__ import annotations

import pytest

from models.vision_utils.document.extract import Extraction, Page
from models.vision_utils.document.limits import DocumentLimits
from models.vision_utils.document.plan import (
    MARKER_TOKENS,
    MIN_CUT_TOKENS,
    WRAPPER_TOKENS,
    Budget,
    _cut_text,
    page_image,
    plan_document,
)
from models.vision_utils.image.policy import ImageLimits, ImagePolicy
from models.vision_utils.tokens.text import count_text

WORDS = " ".join(f"word{n}" for n in range(400))  # 800 tokens, 3,489 characters


def page(number: int, text: str = "", wants_image: bool = False, **facts: bool) -> Page:
    return Page(number, text, count_text(text), (612.0, 792.0), wants_image, **facts)


def doc(pages: list[Page], paged: bool = True, total: int | None = None, cut: bool = False) -> Extraction:
    return Extraction("e" * 64, "PDF" if paged else "text", paged, total or len(pages), tuple(pages), cut, 1)


def budget(
    tokens: int = 100_000, chars: int = 1_000_000, images: int = 10, by: str = "tokens of documents per request"
):
    return Budget(chars, tokens, images, by)


def test_the_budget_keeps_what_the_document_did_not_use():
    pages = [page(1, "one two"), page(2, "three")]
    room = budget()
    plan_document(doc(pages), "a.pdf", DocumentLimits(), room, None)
    used = 2 * MARKER_TOKENS + count_text("one two") + count_text("three") + WRAPPER_TOKENS
    assert (room.tokens, room.chars, room.images) == (100_000 - used, 1_000_000 - len("one two") - 5, 10)


def test_an_unpaged_document_costs_no_marker_tokens():
    room = budget()
    plan_document(doc([page(1, "one two")], paged=False), "a.txt", DocumentLimits(), room, None)
    assert room.tokens == 100_000 - count_text("one two") - WRAPPER_TOKENS


def test_a_document_limit_below_the_requests_is_the_one_named():
    limits = DocumentLimits(max_tokens=600)
    plan = plan_document(doc([page(1, WORDS)], paged=False), "a.txt", limits, budget(tokens=5000), None)
    assert plan.notes[0].endswith("(limit: tokens per document: 600).]")
    same = plan_document(doc([page(1, WORDS)], paged=False), "a.txt", limits, budget(tokens=600, by="room"), None)
    assert same.notes[0].endswith("(limit: room: 600).]"), "equal limits: the request's reason is named"


def test_a_character_limit_names_the_document_or_the_request():
    limits = DocumentLimits(max_chars=1000)
    plan = plan_document(doc([page(1, WORDS)], paged=False), "a.txt", limits, budget(chars=2000), None)
    assert plan.notes == ("[Document cut after 993 characters: the rest is not included "
                          "(limit: characters per document: 1,000).]",)  # fmt: skip
    assert len(plan.pages[0].text) == 993 and plan.pages[0].note == "cut here"
    same = plan_document(doc([page(1, WORDS)], paged=False), "a.txt", limits, budget(chars=1000), None)
    assert same.notes[0].endswith("(limit: characters of documents per request: 1,000).]")


def test_a_page_exactly_filling_the_budget_is_sent_whole():
    text = WORDS[:1000]
    room = budget(tokens=WRAPPER_TOKENS + MARKER_TOKENS + count_text(text), chars=1000)
    plan = plan_document(doc([page(1, text)]), "a.pdf", DocumentLimits(), room, None)
    assert plan.notes == () and plan.pages[0].text == text
    assert (room.tokens, room.chars) == (0, 0)


def test_a_cut_page_takes_its_tokens_and_characters_from_the_budget():
    room = budget(tokens=WRAPPER_TOKENS + MARKER_TOKENS + 300)
    plan = plan_document(doc([page(1, WORDS), page(2, "more")]), "a.pdf", DocumentLimits(), room, None)
    [cut] = plan.pages
    assert cut.note == "cut here" and 0 < count_text(cut.text) <= 300
    assert room.tokens == 300 - count_text(cut.text) and room.chars == 1_000_000 - len(cut.text)
    assert plan.notes[0].startswith("[Document cut after page 1 of 2:")


def test_too_little_room_to_cut_a_page_leaves_it_out():
    room = budget(tokens=WRAPPER_TOKENS + MARKER_TOKENS + MIN_CUT_TOKENS - 1)
    plan = plan_document(doc([page(1, WORDS)]), "a.pdf", DocumentLimits(), room, None)
    assert plan.pages == () and room.tokens == MARKER_TOKENS + MIN_CUT_TOKENS - 1, "nothing taken"
    room = budget(tokens=WRAPPER_TOKENS + MARKER_TOKENS + MIN_CUT_TOKENS)
    assert plan_document(doc([page(1, WORDS)]), "a.pdf", DocumentLimits(), room, None).pages[0].text


def test_a_cut_after_whole_pages_names_the_last_page_sent():
    room = budget(tokens=WRAPPER_TOKENS + 2 * MARKER_TOKENS + count_text("one") + MIN_CUT_TOKENS - 1)
    plan = plan_document(doc([page(1, "one"), page(2, WORDS)], total=9), "a.pdf", DocumentLimits(), room, None)
    assert [p.number for p in plan.pages] == [1]
    assert plan.notes[0].startswith("[Document cut after page 1 of 9:")


@pytest.mark.parametrize(("tokens", "chars"), [(50, 10_000), (2000, 100), (10, 10_000)])
def test_a_cut_text_stays_within_its_tokens_and_characters_and_ends_at_a_word(tokens: int, chars: int):
    text = _cut_text(page(1, WORDS), tokens, chars)
    assert count_text(text) <= tokens and len(text) <= chars
    assert WORDS.startswith(text) and WORDS[len(text)] == " "


def test_a_cut_text_keeps_as_many_tokens_as_allowed():
    text = _cut_text(page(1, WORDS), 100, 10_000)
    assert 80 <= count_text(text) <= 100, "most of what is allowed"
    assert 790 <= count_text(_cut_text(page(1, WORDS), 800, 10_000)) <= 800


def test_a_cut_of_text_without_spaces_is_not_shortened_to_a_word():
    text = "x" * 500
    assert _cut_text(page(1, text), 10_000, 300) == "x" * 300


def test_a_space_early_in_the_cut_is_not_a_word_boundary():
    text = "ab " + "x" * 500
    assert _cut_text(page(1, text), 10_000, 100) == text[:100]


def test_unreadable_and_blank_pages_say_so_and_get_no_image():
    pages = [page(1, wants_image=True, unreadable=True), page(2, wants_image=True, blank=True), page(3, "  ")]
    plan = plan_document(doc(pages), "a.pdf", DocumentLimits(), budget(), ImagePolicy())
    notes = [p.note for p in plan.pages]
    assert notes == ["this page could not be read", "blank page", "no extractable text (a scan or a picture)"]
    assert plan.page_images == 0


def test_an_empty_text_file_has_no_page_note():
    plan = plan_document(doc([page(1, "")], paged=False), "a.txt", DocumentLimits(), budget(), ImagePolicy())
    assert plan.pages[0].note == ""


def test_page_images_take_their_tokens_and_an_image_from_the_budget():
    policy = ImagePolicy()
    image = page_image((612.0, 792.0), policy)
    room = budget(images=3)
    plan = plan_document(doc([page(1, wants_image=True)]), "a.pdf", DocumentLimits(), room, policy)
    assert plan.pages[0].image == image and room.images == 2
    assert room.tokens == 100_000 - MARKER_TOKENS - image.tokens - WRAPPER_TOKENS


def test_a_page_image_exactly_filling_the_budget_is_sent():
    policy = ImagePolicy()
    image = page_image((612.0, 792.0), policy)
    room = budget(tokens=WRAPPER_TOKENS + MARKER_TOKENS + image.tokens, images=1)
    plan = plan_document(doc([page(1, wants_image=True)]), "a.pdf", DocumentLimits(), room, policy)
    assert plan.page_images == 1 and plan.notes == ()


def test_no_page_images_left_names_the_image_limit_once():
    policy = ImagePolicy()
    pages = [page(n, wants_image=True) for n in (1, 2, 3)]
    plan = plan_document(doc(pages), "a.pdf", DocumentLimits(page_images=0), budget(images=0), policy)
    assert plan.page_images == 0
    assert plan.notes == (
        "[Page images stop before page 1: later pages are text only (limit: page images per request: 0).]",
    )
    assert [p.note for p in plan.pages] == ["no extractable text (a scan or a picture)"] * 3


def test_a_page_image_is_rendered_just_inside_the_models_edge():
    image = page_image((2048.0, 100.0), ImagePolicy())
    assert image.size == (2048, 100) and image.scale == pytest.approx(2047.5 / 2048)


def _policy(max_pixels: int) -> ImagePolicy:
    return ImagePolicy(high=ImageLimits(max_edge=2048, max_pixels=max_pixels, max_bytes=3 * 2**20))


def test_a_page_image_within_a_pixel_cap_below_the_edge_squared_is_scaled_to_the_cap():
    image = page_image((612.0, 792.0), _policy(1_000_000))
    assert image.size == (879, 1137) and image.size[0] * image.size[1] <= 1_000_000


def test_a_page_image_whose_rounded_size_is_over_the_cap_is_shrunk_until_it_fits():
    image = page_image((300.0, 773.0), _policy(1_000_000))
    assert image.size == (623, 1604)


def test_a_very_tall_page_image_is_at_least_one_pixel_wide():
    assert page_image((100.0, 14_400_000.0), ImagePolicy()).size == (1, 2048)


def test_a_cut_ends_at_the_last_word_that_fits():
    text = _cut_text(page(1, WORDS), 10_000, 100)
    assert text == WORDS[:100].rsplit(" ", 1)[0]


def test_a_cut_by_tokens_keeps_whole_words_within_the_tokens():
    text = _cut_text(page(1, WORDS), 37, 10_000)
    assert count_text(text) <= 37 and WORDS.startswith(text + " ")


def test_a_second_page_cut_by_characters_counts_the_first_pages_characters():
    first, second = "a" * 600, WORDS
    limits = DocumentLimits(max_chars=1000)
    plan = plan_document(doc([page(1, first), page(2, second)]), "a.pdf", limits, budget(), None)
    assert len(plan.pages[1].text) <= 400 and plan.pages[1].note == "cut here"
    assert plan.notes[0].startswith("[Document cut after page 2 of 2:")


def test_the_last_page_image_running_out_of_tokens_names_the_token_limit():
    policy = ImagePolicy()
    image = page_image((612.0, 792.0), policy)
    room = budget(tokens=WRAPPER_TOKENS + MARKER_TOKENS + image.tokens - 1, images=1)
    plan = plan_document(doc([page(1, wants_image=True)]), "a.pdf", DocumentLimits(), room, policy)
    assert plan.page_images == 0
    limit = f"tokens of documents per request: {WRAPPER_TOKENS + MARKER_TOKENS + image.tokens - 1:,}"
    assert plan.notes == (f"[Page images stop before page 1: later pages are text only (limit: {limit}).]",)


def test_a_text_file_the_reader_cut_says_after_how_many_characters():
    plan = plan_document(doc([page(1, "abc def")], paged=False, cut=True), "a.txt", DocumentLimits(), budget(), None)
    assert plan.notes == (
        "[Document cut after 7 characters: the rest is not included (limit: characters per document: 400,000).]",
    )


def test_a_page_that_fits_only_without_its_marker_is_cut():
    text = WORDS[:1000]
    room = budget(tokens=WRAPPER_TOKENS + MARKER_TOKENS + count_text(text) - 1)
    plan = plan_document(doc([page(1, text)]), "a.pdf", DocumentLimits(), room, None)
    assert plan.pages[0].note == "cut here" and len(plan.notes) == 1


def test_a_cut_on_a_later_page_adds_to_what_the_earlier_pages_used():
    first = "one two three"
    room = budget(tokens=WRAPPER_TOKENS + 2 * MARKER_TOKENS + count_text(first) + 100)
    plan = plan_document(doc([page(1, first), page(2, WORDS)]), "a.pdf", DocumentLimits(), room, None)
    cut = plan.pages[1].text
    assert plan.pages[1].note == "cut here"
    assert room.tokens == 100 - count_text(cut)
    assert room.chars == 1_000_000 - len(first) - len(cut)
