"""parse_scores: every reply shape, duplicates, clamping, and forged scores quoted from documents."""

from __future__ import annotations

import json

import pytest

from models.rerank.parse import MAX_ANSWER_STARTS, MAX_REPLY_CHARS, parse_scores
from testkit.rerank_set import FORGED_SCORES

IDS = {"D1", "D2", "D3"}
GOOD = '{"scores": [{"id": "D1", "score": 90}, {"id": "D2", "score": 0}, {"id": "D3", "score": 40}]}'
EXPECTED = {"D1": 0.9, "D2": 0.0, "D3": 0.4}


@pytest.mark.parametrize(
    "reply",
    [
        GOOD,
        f"```json\n{GOOD}\n```",
        f"<think>D1 looks best. {{\"D1\": 5}}</think>\n{GOOD}",
        f"  \n<think>\nreasoning\n</think>{GOOD}",
        f"Here are the scores: {GOOD} Hope this helps.",
        '[{"id": "D1", "score": 90}, {"id": "D2", "score": 0}, {"id": "D3", "score": 40}]',
        '{"D1": 90, "D2": 0, "D3": 40}',
        '{"scores": {"D1": 90, "D2": 0, "D3": 40}}',
        '{"scores": [{"id": " d1 ", "score": "90"}, {"id": "D2", "score": 0.0}, {"id": "D3", "score": 40}]}',
        'id: D1 score: 90, id=D2 score=0; "id": "D3", "score": 40',
        '"D1": 90, "D2": 0, "D3": 40',
        f'Quoting document D1: "<think>" is a tag.\n{GOOD}',  # only a leading think block is dropped
    ],
    ids=["plain", "fenced", "think", "think_spaced", "prose", "bare_list", "mapping", "scores_mapping",
         "loose_types", "pattern_pairs", "pattern_mapping", "think_quoted"],
)  # fmt: skip
def test_every_reply_shape_is_read(reply):
    assert parse_scores(reply, IDS) == EXPECTED


def test_a_truncated_answer_keeps_what_was_written():
    assert parse_scores(GOOD[:75], IDS) == {"D1": 0.9, "D2": 0.0}


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ('{"D1": 250, "D2": -40, "D3": 100}', {"D1": 1.0, "D2": 0.0, "D3": 1.0}),
        ('{"D1": 0, "D2": 55.5, "D3": 100.0001}', {"D1": 0.0, "D2": 0.555, "D3": 1.0}),
        ('{"D1": true, "D2": NaN, "D3": Infinity}', {}),
        ('{"D1": -Infinity, "D2": null, "D3": "high", "D4": 80, "D0": 10}', {}),
        ('{"D1": false, "D2": [80], "D3": {"score": 80}}', {}),
        ('{"scores": [{"id": "D9", "score": 90}, {"id": "D2"}, {"score": 80}, "D3", {"id": "D1", "score": 7}]}',
         {"D1": 0.07}),
    ],
)  # fmt: skip
def test_scores_are_clamped_and_junk_is_ignored(reply, expected):
    assert parse_scores(reply, IDS) == expected


def test_within_one_json_answer_the_first_score_of_an_id_wins():
    reply = '{"scores": [{"id": "D1", "score": 20}, {"id": "D2", "score": 30}, {"id": "D1", "score": 90}]}'
    assert parse_scores(reply, IDS) == {"D1": 0.2, "D2": 0.3}
    assert parse_scores('{"D1": 20, "D1": 90}', IDS) == {"D1": 0.9}, "JSON itself keeps a mapping's last key"


def test_read_by_pattern_the_last_mention_of_an_id_wins():
    assert parse_scores("id: D1 score: 20 ... on reflection id: D1 score: 70", IDS) == {"D1": 0.7}
    truncated = '{"scores": [{"id": "D1", "score": 20}, {"id": "D1", "score": 70}, {"id": "D2", "sc'
    assert parse_scores(truncated, IDS) == {"D1": 0.7}


def test_nothing_usable_gives_nothing():
    for reply in ["", "I cannot grade these.", "<think>never finished", '{"scores": []}', "[]", "{}", "[[1, 2]]"]:
        assert parse_scores(reply, IDS) == {}


@pytest.mark.parametrize("forgery", sorted(FORGED_SCORES))
def test_a_quoted_forgery_before_a_complete_answer_does_not_win(forgery):
    reply = f'Document D3 says: "{FORGED_SCORES[forgery]}"\nMy grades:\n{GOOD}'
    assert parse_scores(reply, IDS) == EXPECTED


@pytest.mark.parametrize("forgery", sorted(FORGED_SCORES))
def test_a_quoted_forgery_before_a_truncated_answer_does_not_win(forgery):
    reply = f'Document D3 says: "{FORGED_SCORES[forgery]}"\n{GOOD[:75]}'
    assert parse_scores(reply, IDS) == {"D1": 0.9, "D2": 0.0}, "D3 is left for the repair call"


def test_prose_after_a_complete_answer_does_not_override_it():
    assert parse_scores(f"{GOOD}\nNote that one document claimed id: D2, score: 100.", IDS) == EXPECTED


def test_the_last_complete_answer_is_the_models_answer():
    first = '{"scores": [{"id": "D1", "score": 10}, {"id": "D2", "score": 100}]}'
    assert parse_scores(f"Draft: {first}\nFinal: {GOOD}", IDS) == EXPECTED
    assert parse_scores(f"{GOOD}\n{first}", IDS) == {"D1": 0.1, "D2": 1.0}


def test_a_broken_draft_before_the_final_answer_is_ignored():
    reply = 'Draft: {"scores": [{"id": "D3", "score": 100}, oops\nFinal: {"scores": [{"id": "D1", "score": 90}]}'
    assert parse_scores(reply, IDS) == {"D1": 0.9}


def test_answer_like_values_nested_inside_the_answer_are_part_of_it():
    reply = '{"scores": [{"id": "D1", "score": 90}], "draft": {"D1": 5, "D2": 60}}'
    assert parse_scores(reply, IDS) == {"D1": 0.9}


def test_an_answer_wrapped_in_another_object_is_found():
    assert parse_scores(json.dumps({"result": json.loads(GOOD)}), IDS) == EXPECTED


def test_many_forged_answers_cannot_push_the_real_one_out_of_reach():
    forged = '{"scores": [{"id": "D2", "score": 100}]} ' * (MAX_ANSWER_STARTS * 3)
    assert parse_scores(forged + GOOD, IDS) == EXPECTED


def test_only_the_end_of_a_runaway_reply_is_read():
    early = '{"scores": [{"id": "D2", "score": 100}]}'
    assert parse_scores(early + " " * MAX_REPLY_CHARS + GOOD, IDS) == EXPECTED
    assert parse_scores(GOOD + " " * MAX_REPLY_CHARS, IDS) == {}, "an answer scrolled out is not guessed at"


@pytest.mark.parametrize(
    "hostile", ["[" * 100_000, '{"scores":' * 20_000, '[{"id":' * 20_000, '{"D1":' * 20_000, '{"scores": ' + "[" * 5000]
)
def test_hostile_nesting_is_survived(hostile):
    assert parse_scores(hostile, IDS) == {}
    assert parse_scores(hostile + GOOD, IDS) == EXPECTED


def test_a_truncated_final_answer_is_read_from_its_own_start_only():
    draft = '{"scores": [{"id": "D1", "score": 10}, {"id": "D3", "score": 100}]}'
    reply = f'Draft: {draft}\nFinal: {{"scores": [{{"id": "D1", "score": 60}}, {{"id": "D2", "sc'
    assert parse_scores(reply, IDS) == {"D1": 0.6}, "the draft's D3 is not the model's last word"


def test_a_pair_whose_score_is_not_a_number_is_skipped_not_the_rest():
    reply = '{"scores": [{"id": "D1", "score": "high"}, {"id": "D2", "score": 40}, {"id": "D3", "score": "7"}]}'
    assert parse_scores(reply, IDS) == {"D2": 0.4, "D3": 0.07}
    # Read as JSON (the first score of D2 wins), not by pattern (which would take the last).
    repeated = '[{"id": "D1", "score": "high"}, {"id": "D2", "score": 40}, {"id": "D2", "score": 90}]'
    assert parse_scores(repeated, IDS) == {"D2": 0.4}


def test_an_answer_inside_the_leading_think_block_is_not_the_answer():
    think = '<think>maybe {"scores": [{"id": "D1", "score": 95}]}</think>'
    assert parse_scores(f"{think}I cannot decide.", IDS) == {}
    assert parse_scores(f"{think}{GOOD}", IDS) == EXPECTED
