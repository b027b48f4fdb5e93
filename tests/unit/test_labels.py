"""Parameter labels and help (models/common/labels.py): every parameter in all three languages, a
fresh copy per call (the YAML writer and the schema builder may change what they get), and names
that are the same in every language."""

from __future__ import annotations

from models.common.labels import LANGUAGES, PARAMETER_NAMES, parameter_help, parameter_label, same_in_every_language


def test_every_parameter_has_a_label_and_help_in_each_language():
    for name in PARAMETER_NAMES:
        for texts in (parameter_label(name), parameter_help(name)):
            assert set(texts) == set(LANGUAGES) and all(texts.values()), name
    assert parameter_label("thinking") == {"en_US": "Thinking", "zh_Hans": "深度思考", "ja_JP": "思考モード"}
    assert parameter_help("thinking")["en_US"] == "Switch the model's reasoning on or off (sent as thinking.type)."


def test_each_call_gets_its_own_copy():
    label, help_text = parameter_label("top_p"), parameter_help("top_p")
    label["en_US"] = help_text["en_US"] = "changed"
    assert parameter_label("top_p")["en_US"] == "Top P"
    assert parameter_help("top_p")["en_US"].startswith("Controls diversity")


def test_a_model_id_reads_the_same_in_every_language():
    assert same_in_every_language("acme/m") == {"en_US": "acme/m", "zh_Hans": "acme/m", "ja_JP": "acme/m"}
