"""provider/media_body.py: a media job's body from its model's template. Only leaves that are exactly
"{name}" are replaced, by the value as it is; a top-level key whose placeholder has no value is left
out so the model's own default applies."""

from __future__ import annotations

from provider.media_body import placeholders, render

TEMPLATE = {
    "text": "{text}",
    "voice": "{voice}",
    "references": [{"speaker": "{voice}", "weight": 1}],
    "format": "mp3",
    "greeting": "Hello {text}!",
    "options": {"speed": "{speed}", "stream": False},
}


def test_placeholders_are_replaced_by_their_values_as_they_are():
    body = render(TEMPLATE, {"text": "Hi {there}", "voice": "eve", "speed": 1.5})
    assert body == {
        "text": "Hi {there}",
        "voice": "eve",
        "references": [{"speaker": "eve", "weight": 1}],
        "format": "mp3",
        "greeting": "Hello {text}!",
        "options": {"speed": 1.5, "stream": False},
    }


def test_a_key_whose_placeholder_has_no_value_is_left_out_whole():
    body = render(TEMPLATE, {"text": "hi", "voice": "", "speed": None})
    assert body == {"text": "hi", "format": "mp3", "greeting": "Hello {text}!"}


def test_falsy_values_other_than_empty_text_are_values():
    assert render({"seed": "{seed}", "loud": "{loud}"}, {"seed": 0, "loud": False}) == {"seed": 0, "loud": False}


def test_the_template_is_not_changed():
    template = {"options": {"voice": "{voice}"}, "list": ["{voice}"]}
    render(template, {"voice": "eve"})
    assert template == {"options": {"voice": "{voice}"}, "list": ["{voice}"]}


def test_placeholders_are_found_at_any_depth_and_only_whole_lowercase_names_count():
    template = {**TEMPLATE, "odd": ["{Voice}", "{ text}", 3, None, {"deep": ["{sample_rate}"]}]}
    assert placeholders(template) == {"text", "voice", "speed", "sample_rate"}
    assert placeholders({}) == set()
