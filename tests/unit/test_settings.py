"""Settings are read from the environment in one place, leniently: a bad value is logged with
its variable's name and the default stands; nothing else is refused."""

from __future__ import annotations

import pytest

from provider.settings import FETCH_TIMEOUT_FLOOR_S, Settings, read_settings


def read(environ: dict[str, str]) -> tuple[Settings, list[str]]:
    warnings: list[str] = []
    return read_settings(environ, warnings.append), warnings


def test_nothing_set_is_every_default_and_no_warning():
    assert read({}) == (Settings(), [])


def test_good_values_are_used():
    settings, warnings = read(
        {
            "ATLASCLOUD_TOTAL_TIMEOUT_S": "120",
            "ATLASCLOUD_READ_TIMEOUT_S": "30.5",
            "ATLASCLOUD_IMAGE_MEMORY_MB": "1024",
            "ATLASCLOUD_FETCH_TIMEOUT_S": "5",
            "ATLASCLOUD_ALLOWED_FILE_HOSTS": " api:5001 ",
        }
    )
    assert warnings == []
    assert (settings.total_timeout_s, settings.read_timeout_s, settings.image_memory_mb) == (120.0, 30.5, 1024)
    assert (settings.fetch_timeout_s, settings.allowed_file_hosts) == (5.0, "api:5001")
    assert settings.image_memory_bytes == 1024 * 2**20


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ATLASCLOUD_TOTAL_TIMEOUT_S", "ten minutes"),
        ("ATLASCLOUD_TOTAL_TIMEOUT_S", "0"),
        ("ATLASCLOUD_TOTAL_TIMEOUT_S", "nan"),
        ("ATLASCLOUD_READ_TIMEOUT_S", "-1"),
        ("ATLASCLOUD_IMAGE_MEMORY_MB", "1e3"),
        ("ATLASCLOUD_IMAGE_MEMORY_MB", "99999999"),
        ("ATLASCLOUD_FETCH_TIMEOUT_S", "soon"),
    ],
)
def test_a_bad_value_is_logged_with_its_name_and_the_default_stands(variable, value):
    settings, warnings = read({variable: value})
    assert settings == Settings()
    assert len(warnings) == 1 and warnings[0].startswith(f"{variable}={value!r}") and "default" in warnings[0]


def test_the_fetch_timeout_has_a_floor_instead_of_a_refusal():
    settings, warnings = read({"ATLASCLOUD_FETCH_TIMEOUT_S": "0.001"})
    assert settings.fetch_timeout_s == FETCH_TIMEOUT_FLOOR_S and warnings == []


def test_a_blank_value_is_no_setting():
    assert read({"ATLASCLOUD_TOTAL_TIMEOUT_S": "  "}) == (Settings(), [])


def test_a_bad_value_does_not_stop_the_variables_after_it_being_read():
    settings, warnings = read({"ATLASCLOUD_TOTAL_TIMEOUT_S": "soon", "ATLASCLOUD_DOCUMENT_READ_TIMEOUT_S": "30"})
    assert (settings.total_timeout_s, settings.document_read_timeout_s) == (Settings().total_timeout_s, 30.0)
    assert len(warnings) == 1 and warnings[0].startswith("ATLASCLOUD_TOTAL_TIMEOUT_S=")


def test_the_warning_quotes_only_the_first_40_characters_of_a_long_value():
    value = "0123456789" * 4 + "TAIL"
    _, warnings = read({"ATLASCLOUD_POLL_INTERVAL_S": value})
    assert warnings == [
        f"ATLASCLOUD_POLL_INTERVAL_S={value[:40]!r} is not a number within [0.01, 60]; using the default"
    ]
