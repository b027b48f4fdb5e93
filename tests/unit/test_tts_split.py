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
