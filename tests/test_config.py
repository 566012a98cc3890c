"""Settings parsed from a plain mapping: defaults, camelCase, and invalid values reported and replaced."""

from __future__ import annotations

import argparse

import pytest

from hirope_lsp.config import ModelSettings, PromptSettings, Settings, parse_settings, unit_tokens_option
from hirope_lsp.hirope.split import DEFAULT_UNIT_SCALE, DEFAULT_UNIT_TOKENS


def test_nothing_given_means_the_defaults() -> None:
    for raw in (None, {}):
        settings, problems = parse_settings(raw)
        assert settings == Settings() and problems == []
    defaults = Settings()
    assert defaults.model.spec == "default" and defaults.model.rope == "hirope" and defaults.model.window is None
    assert defaults.model.split is None and defaults.prompt.context_multiple == 2.0 and defaults.log_level == "info"


def test_camel_case_and_snake_case_keys() -> None:
    settings, problems = parse_settings(
        {
            "model": {"spec": "org/name", "maxTokens": 64, "max_line_tokens": 16, "split": 0.5, "rope": "flat"},
            "prompt": {"contextMultiple": 2},
            "index": {"maxFileBytes": 1000},
            "logLevel": "debug",
        }
    )
    assert problems == []
    assert settings.model == ModelSettings(spec="org/name", rope="flat", split=0.5, max_tokens=64, max_line_tokens=16)
    assert settings.prompt == PromptSettings(context_multiple=2.0)
    assert isinstance(settings.prompt.context_multiple, float)
    assert settings.index.max_file_bytes == 1000 and settings.log_level == "debug"


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        ({"model": {"window": 0}}, "model.window"),
        ({"model": {"window": -5}}, "model.window"),
        ({"model": {"window": "512"}}, "model.window"),
        ({"model": {"window": True}}, "model.window"),
        ({"model": {"rope": "yarn"}}, "model.rope"),
        ({"model": {"split": 1.5}}, "model.split"),
        ({"model": {"split": -0.1}}, "model.split"),
        ({"model": {"spec": ""}}, "model.spec"),
        ({"model": {"dtype": "float64"}}, "model.dtype"),
        ({"prompt": {"contextMultiple": "many"}}, "prompt.context_multiple"),
        ({"logLevel": "loud"}, "log_level"),
    ],
)
def test_invalid_values_are_reported_and_replaced_by_defaults(raw: dict[str, object], where: str) -> None:
    settings, problems = parse_settings(raw)
    assert settings == Settings()
    assert len(problems) == 1 and problems[0].startswith(f"{where}: invalid value"), problems
    assert "using the default" in problems[0]


def test_valid_values_survive_next_to_invalid_ones() -> None:
    settings, problems = parse_settings({"model": {"window": 0, "maxTokens": 10}})
    assert settings.model.window is None and settings.model.max_tokens == 10
    assert len(problems) == 1


def test_unknown_keys_are_reported() -> None:
    settings, problems = parse_settings({"model": {"temperature": 0.2}, "colour": "blue"})
    assert settings == Settings()
    assert sorted(problems) == ["colour: unknown setting, ignored", "model.temperature: unknown setting, ignored"]


@pytest.mark.parametrize("raw", [[1, 2], "model", 3])
def test_a_non_mapping_is_reported(raw: object) -> None:
    settings, problems = parse_settings(raw)
    assert settings == Settings()
    assert problems == [f"settings: expected an object, got {type(raw).__name__}; using defaults"]


def test_a_non_mapping_section_is_reported() -> None:
    settings, problems = parse_settings({"model": "default", "prompt": {"contextMultiple": 8}})
    assert settings.model == ModelSettings() and settings.prompt.context_multiple == 8.0
    assert problems == ["model: expected an object, got str; using defaults"]


def test_an_integer_for_an_optional_float_becomes_a_float() -> None:
    settings, problems = parse_settings({"model": {"split": 1}})
    assert problems == [] and settings.model.split == 1.0
    assert isinstance(settings.model.split, float)


def test_the_far_rule_defaults_are_the_engines() -> None:
    assert ModelSettings().unit_scale == DEFAULT_UNIT_SCALE
    assert ModelSettings().unit_tokens == DEFAULT_UNIT_TOKENS
    settings, problems = parse_settings({"model": {"unitTokens": None}})  # back to the outline's units
    assert problems == [] and settings.model.unit_tokens is None
    settings, problems = parse_settings({"model": {"unitTokens": 0}})
    assert problems and settings.model.unit_tokens == DEFAULT_UNIT_TOKENS


def test_the_command_lines_unit_tokens_spell_the_outlines_units_as_zero() -> None:
    assert unit_tokens_option("8") == 8 and unit_tokens_option("1") == 1
    assert unit_tokens_option("0") is None
    for text in ("-1", "eight", "2.5"):
        with pytest.raises(argparse.ArgumentTypeError, match="or 0 for the outline's units"):
            unit_tokens_option(text)
