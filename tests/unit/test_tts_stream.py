"""Pieces synthesised side by side and streamed in order (models/common/threads.py fan_out_in_order),
and the plan that checks everything before the first billed job (models/tts/synthesis.py)."""

from __future__ import annotations

import threading
import time

import pytest

from models.common.threads import fan_out_in_order
from models.tts.settings import TtsSettings, Voice
from models.tts.synthesis import plan
from provider.errors.tree import ParameterError, SpeechTextError


class Recorder:
    def __init__(self, seconds: dict[int, float], fail_at: int | None = None) -> None:
        self.seconds, self.fail_at = seconds, fail_at
        self.started: list[int] = []
        self.running = self.most_running = 0
        self.lock = threading.Lock()

    def __call__(self, item: int) -> int:
        with self.lock:
            self.started.append(item)
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        time.sleep(self.seconds.get(item, 0.01))
        with self.lock:
            self.running -= 1
        if item == self.fail_at:
            raise RuntimeError(f"job {item} failed")
        return item


def test_results_come_in_order_although_later_items_finish_first():
    work = Recorder({0: 0.15, 1: 0.01, 2: 0.01, 3: 0.08})
    assert list(fan_out_in_order(work, list(range(6)), 3)) == list(range(6))
    assert work.started[0] == 0, "the first piece is submitted first"


def test_the_first_result_is_yielded_before_the_slow_ones_finish():
    work = Recorder({0: 0.02, 1: 0.6, 2: 0.6})
    started = time.monotonic()
    stream = fan_out_in_order(work, [0, 1, 2], 3)
    assert next(stream) == 0
    assert time.monotonic() - started < 0.3
    assert list(stream) == [1, 2]


def test_at_most_max_workers_run_at_once():
    work = Recorder(dict.fromkeys(range(12), 0.02))
    assert list(fan_out_in_order(work, list(range(12)), 3)) == list(range(12))
    assert work.most_running == 3


def test_a_failure_is_raised_in_its_turn_and_later_items_are_never_started():
    work = Recorder({}, fail_at=2)
    stream = fan_out_in_order(work, list(range(20)), 2)
    assert [next(stream), next(stream)] == [0, 1]
    with pytest.raises(RuntimeError, match="job 2 failed"):
        next(stream)
    time.sleep(0.1)
    assert max(work.started) <= 3, "only the pieces already in flight ran"


def test_a_consumer_that_stops_early_starts_nothing_more():
    work = Recorder(dict.fromkeys(range(10), 0.02))
    stream = fan_out_in_order(work, list(range(10)), 2)
    assert next(stream) == 0
    stream.close()
    time.sleep(0.15)
    assert sorted(work.started) == [0, 1, 2], "two in flight and the one started as the first was taken"


class CheckingMedia:
    """Stands in for MediaClient.check: records the job it was shown, refuses on request."""

    def __init__(self, refuse: bool = False) -> None:
        self.checked: list[dict] = []
        self.refuse = refuse

    def check(self, model: str, params: dict) -> None:
        self.checked.append(params)
        if self.refuse:
            raise ParameterError("The model would refuse this job")


SETTINGS = TtsSettings(
    body={"text": "{text}", "voice_id": "{voice}", "codec": "mp3"},
    piece_chars=100,
    max_text_chars=1000,
    voices=(Voice("ara", "Ara"), Voice("eve", "Eve")),
    default_voice="ara",
)


def test_a_plan_fills_every_piece_and_checks_the_longest_against_the_schema():
    media = CheckingMedia()
    text = "Short start here, friend. " + "A longer sentence follows to fill the pieces. " * 5
    job_plan = plan(media, "xai/tts-v1", SETTINGS, text, "eve")  # type: ignore[arg-type]
    assert job_plan.bodies[0] == {
        "model": "xai/tts-v1",
        "text": "Short start here, friend.",
        "voice_id": "eve",
        "codec": "mp3",
    }
    assert all(body["voice_id"] == "eve" and len(body["text"]) <= 100 for body in job_plan.bodies)
    assert media.checked == [
        {k: v for k, v in max(job_plan.bodies, key=lambda b: len(b["text"])).items() if k != "model"}
    ]


def test_an_unknown_voice_falls_back_to_the_default_and_a_missing_one_too():
    for asked in ("alloy", "", None):
        job_plan = plan(CheckingMedia(), "m", SETTINGS, "Hello there my friend.", asked)  # type: ignore[arg-type]
        assert job_plan.bodies[0]["voice_id"] == "ara"


@pytest.mark.parametrize(
    ("text", "message"), [("", "nothing to read"), ("... !", "nothing to read"), ("a" * 1001, "1001 characters")]
)
def test_text_that_cannot_be_read_is_refused_before_any_job(text, message):
    media = CheckingMedia()
    with pytest.raises(SpeechTextError, match=message):
        plan(media, "m", SETTINGS, text, "ara")  # type: ignore[arg-type]
    assert media.checked == []


def test_a_job_the_schema_refuses_is_refused_before_any_job():
    with pytest.raises(ParameterError):
        plan(CheckingMedia(refuse=True), "m", SETTINGS, "Hello there my friend.", "ara")  # type: ignore[arg-type]


def test_a_text_of_exactly_the_longest_length_is_read_and_the_refusals_say_what_to_do():
    text = ("Hello there my friend. " * 50)[:1000]
    assert plan(CheckingMedia(), "m", SETTINGS, text, "ara").chars > 900  # type: ignore[arg-type]
    with pytest.raises(SpeechTextError) as caught:
        plan(CheckingMedia(), "m", SETTINGS, text + "!", "ara")  # type: ignore[arg-type]
    assert str(caught.value) == (
        "The text has 1001 characters; this plugin reads at most 1000 aloud in one call (each call must end "
        "within Dify's time limit). Send it in parts."
    )
    with pytest.raises(SpeechTextError) as caught:
        plan(CheckingMedia(), "m", SETTINGS, " ... ", "ara")  # type: ignore[arg-type]
    assert str(caught.value) == "The text has nothing to read aloud (it is empty or only punctuation)."
