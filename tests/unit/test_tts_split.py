"""Long text -> pieces cut at sentence ends; the first piece short so audio starts early."""

from __future__ import annotations

import pytest

from models.tts.split import MIN_FIRST_CHARS, pieces, sentences

LONG = "The first sentence is here. " + " ".join(f"Sentence number {n} has a few words in it." for n in range(200))


def test_sentences_end_at_marks_followed_by_space_not_inside_numbers_names_or_urls():
    found = sentences("Pi is 3.14 today. See https://atlascloud.ai/x?a=1!now! Really? 你好。再见！End")
    assert found == [
        "Pi is 3.14 today. ",
        "See https://atlascloud.ai/x?a=1!now! ",
        "Really? ",
        "你好。",
        "再见！",
        "End",
    ]


def test_the_first_piece_is_the_first_sentence_and_the_rest_fill_the_limit():
    parts = pieces(LONG, 1000)
    assert parts[0] == "The first sentence is here."
    assert all(len(p) <= 1000 for p in parts)
    assert all(len(p) > 900 for p in parts[1:-1]), "middle pieces are packed"
    assert " ".join(parts).split() == LONG.split(), "nothing lost, nothing repeated, order kept"


def test_every_piece_ends_at_a_sentence_end_when_sentences_fit():
    for part in pieces(LONG, 300)[:-1]:
        assert part.endswith("."), part[-20:]


def test_a_very_short_first_sentence_takes_the_next_one_along():
    parts = pieces("Hi. " + "This second sentence is longer than the first. " * 3, 200)
    assert parts[0].startswith("Hi. This second sentence")
    assert len(parts[0]) >= MIN_FIRST_CHARS


@pytest.mark.parametrize("limit", [40, 97, 500])
def test_a_sentence_longer_than_the_limit_is_cut_at_clauses_then_spaces(limit):
    sentence = "word, " * 30 + "and then a run of words without any clause mark at all " * 10 + "end."
    parts = pieces(sentence, limit)
    assert all(len(p) <= limit for p in parts)
    assert "".join(p + " " for p in parts).split() == sentence.split()


def test_text_without_spaces_is_cut_anywhere_within_the_limit():
    assert [len(p) for p in pieces("字" * 250, 100)] == [100, 100, 50]


@pytest.mark.parametrize("text", ["", "   ", "... !!! ?", "\n\n"])
def test_nothing_speakable_gives_no_pieces(text):
    assert pieces(text, 100) == []


def test_punctuation_only_sentences_are_not_jobs():
    assert pieces("Hello world, how are you. ... !!! Fine thanks.", 30) == ["Hello world, how are you.", "Fine thanks."]


def test_a_long_sentence_is_cut_at_a_clause_mark_only_past_a_third_of_the_limit():
    at_a_third = "a" * 28 + ", " + "b" * 70  # the clause ends at 30 = 91 // 3
    assert pieces(at_a_third, 91) == ["a" * 28 + ",", "b" * 70]
    too_early = "a" * 23 + ", " + "b" * 80  # the clause ends at 25: cut at the limit instead
    assert [len(p) for p in pieces(too_early, 91)] == [91, 14]


def test_a_long_sentence_without_clauses_is_cut_at_a_space_only_past_a_third_of_the_limit():
    assert pieces("a" * 30 + " " + "b" * 80, 91) == ["a" * 30, "b" * 80]  # the space at 30 = 91 // 3
    assert [len(p) for p in pieces("a" * 25 + " " + "b" * 80, 91)] == [91, 15]


def test_a_sentence_of_exactly_the_limit_stays_whole():
    sentence = "Exactly as long as the limit, with a comma in the middle of it all, and no more words."
    assert pieces(sentence, len(sentence)) == [sentence]


def test_a_first_sentence_of_the_minimum_length_is_a_piece_of_its_own():
    first = "One two three four five."
    assert len(first) == MIN_FIRST_CHARS
    assert pieces(first + " Second one here. Third.", 100) == [first, "Second one here. Third."]


def test_a_short_first_sentence_takes_the_next_ones_in_order_while_they_fit_the_limit():
    assert pieces("Hi. Yo. Then a third sentence that is long.", 100) == ["Hi. Yo. Then a third sentence that is long."]
    assert pieces("Hi. " + "x" * 95 + ".", 100) == ["Hi. " + "x" * 95 + "."], "exactly the limit together"
    assert pieces("Hi. " + "x" * 96 + ".", 100) == ["Hi.", "x" * 96 + "."], "one more is over the limit"


def test_later_sentences_are_packed_up_to_exactly_the_limit():
    first = "This first sentence is long enough. "
    text = first + "a" * 28 + ". " + "b" * 28 + ". " + "And the next one."  # 30 + 30 characters
    assert pieces(text, 60) == [first.strip(), "a" * 28 + ". " + "b" * 28 + ".", "And the next one."]


@pytest.mark.parametrize("limit", [1, 2])
def test_a_limit_of_one_or_two_characters_still_ends(limit):
    parts = pieces("hello world", limit)
    assert "".join(parts) == "helloworld" and all(len(part) <= limit for part in parts)
